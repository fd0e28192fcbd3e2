// Small hand-drawn SVG charts. Each says in words what it shows (its accessible name),
// since a screen reader cannot read lines.

export interface Series {
  label: string;
  /** Oldest first; null where there was no sample. */
  values: (number | null)[];
  className: string;
}

const W = 320;
const H = 90;
const PAD = 4;

function extent(values: number[], floor?: number, ceiling?: number): [number, number] {
  const low = floor ?? Math.min(...values);
  const high = ceiling ?? Math.max(...values);
  return high > low ? [low, high] : [low, low + 1];
}

/** Lines of samples over time, sharing one y axis. */
export function LineChart({ title, series, unit, floor, ceiling }: { title: string; series: Series[]; unit: string; floor?: number; ceiling?: number }) {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v != null));
  if (all.length === 0) {
    return (
      <figure class="chart">
        <figcaption>{title}: no samples</figcaption>
      </figure>
    );
  }
  const [low, high] = extent(all, floor, ceiling);
  const y = (v: number) => PAD + (H - 2 * PAD) * (1 - (v - low) / (high - low));
  const latest = series
    .map((s) => {
      const last = [...s.values].reverse().find((v) => v != null);
      return last == null ? null : `${s.label} ${last.toFixed(0)} ${unit}`;
    })
    .filter(Boolean)
    .join(", ");
  return (
    <figure class="chart">
      <figcaption>
        {title}
        <span class="muted small"> now: {latest}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}, from ${low.toFixed(0)} to ${high.toFixed(0)} ${unit}; now ${latest}`} preserveAspectRatio="none">
        <line class="chart__axis" x1={0} x2={W} y1={H - PAD} y2={H - PAD} />
        {series.map((s) => {
          const step = s.values.length > 1 ? W / (s.values.length - 1) : 0;
          const points = s.values
            .map((v, i) => (v == null ? null : `${(i * step).toFixed(1)},${y(v).toFixed(1)}`))
            .filter(Boolean)
            .join(" ");
          return <polyline key={s.label} class={`chart__line ${s.className}`} points={points} vector-effect="non-scaling-stroke" />;
        })}
      </svg>
      <div class="chart__legend small">
        {series.map((s) => (
          <span key={s.label} class={`chart__key ${s.className}`}>
            {s.label}
          </span>
        ))}
        <span class="muted">
          {low.toFixed(0)}–{high.toFixed(0)} {unit}
        </span>
      </div>
    </figure>
  );
}

export interface Bar {
  label: string;
  /** Values drawn as stacked marks on one bar (p50, p95, p99), smallest first. */
  marks: { name: string; value: number | null | undefined }[];
}

/** Horizontal bars on a shared scale, for the pipeline stages' latencies. */
export function BarChart({ title, bars, format }: { title: string; bars: Bar[]; format: (value: number) => string }) {
  const values = bars.flatMap((b) => b.marks.map((m) => m.value ?? 0));
  const max = Math.max(1, ...values);
  return (
    <figure class="chart chart--bars">
      <figcaption>{title}</figcaption>
      {bars.map((bar) => (
        <div key={bar.label} class="bar">
          <span class="bar__label small">{bar.label}</span>
          <svg viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label={`${bar.label}: ${bar.marks.map((m) => `${m.name} ${m.value == null ? "none" : format(m.value)}`).join(", ")}`}>
            {[...bar.marks].reverse().map((mark, i) => (
              <rect key={mark.name} class={`bar__mark bar__mark--${bar.marks.length - 1 - i}`} x={0} y={0} height={10} width={((mark.value ?? 0) / max) * 100} />
            ))}
          </svg>
          <span class="bar__values small">{bar.marks.map((m) => `${m.name} ${m.value == null ? "–" : format(m.value)}`).join(" · ")}</span>
        </div>
      ))}
    </figure>
  );
}
