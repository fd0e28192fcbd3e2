// How long the pipeline takes, and what the GPU is doing, over a chosen span.

import { useState } from "preact/hooks";
import { getPipelineLatency, listGpuStats } from "../../api/endpoints";
import { formatMs, humanize } from "../../lib/format";
import { ErrorNote, Loading } from "../../ui/bits";
import { BarChart, LineChart } from "../../ui/charts";
import { useLoad } from "../../ui/useLoad";

const SPANS: { label: string; hours: number }[] = [
  { label: "Last hour", hours: 1 },
  { label: "Last 6 hours", hours: 6 },
  { label: "Last day", hours: 24 },
];

export function Performance({ round }: { round: number }) {
  const [hours, setHours] = useState(1);
  const since = () => new Date(Date.now() - hours * 3600_000).toISOString();
  const latency = useLoad((signal) => getPipelineLatency(since(), signal), [hours, round]);
  const gpu = useLoad((signal) => listGpuStats(since(), signal), [hours, round]);
  // The API answers newest first; charts run left to right in time.
  const samples = [...(gpu.data?.samples ?? [])].reverse();
  const memoryTotal = samples.find((s) => s.memory_total_mb)?.memory_total_mb ?? undefined;
  const gpuName = samples.find((s) => s.gpu_name)?.gpu_name;

  return (
    <div class="stack">
      <label class="field field--inline">
        <span>Span</span>
        <select value={hours} onChange={(e) => setHours(Number(e.currentTarget.value))} data-testid="performance-span">
          {SPANS.map((s) => (
            <option key={s.hours} value={s.hours}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      {latency.loading && !latency.data && <Loading />}
      <ErrorNote error={latency.error} retry={latency.reload} />
      {latency.data && (
        <BarChart
          title="Stage latency (p50, p95, p99)"
          format={formatMs}
          bars={latency.data.stages.map((stage) => ({
            label: `${humanize(stage.stage)} (${stage.count})`,
            marks: [
              { name: "p50", value: stage.p50_ms },
              { name: "p95", value: stage.p95_ms },
              { name: "p99", value: stage.p99_ms },
            ],
          }))}
        />
      )}
      <ErrorNote error={gpu.error} retry={gpu.reload} />
      {gpu.data && samples.length === 0 && <p class="muted">No GPU samples in this span.</p>}
      {samples.length > 0 && (
        <>
          {gpuName && <p class="small muted">{gpuName}{gpu.data?.has_more && " (the latest 500 samples)"}</p>}
          <div class="charts">
            <LineChart title="GPU use" unit="%" floor={0} ceiling={100} series={[{ label: "use", className: "c1", values: samples.map((s) => s.gpu_utilization ?? null) }]} />
            <LineChart title="GPU memory" unit="MB" floor={0} ceiling={memoryTotal} series={[{ label: "used", className: "c2", values: samples.map((s) => s.memory_used_mb ?? null) }]} />
            <LineChart title="Temperature" unit="°C" series={[{ label: "GPU", className: "c3", values: samples.map((s) => s.temperature_c ?? null) }]} />
            <LineChart title="Power" unit="W" floor={0} series={[{ label: "draw", className: "c4", values: samples.map((s) => s.power_w ?? null) }]} />
            <LineChart title="Inference rate" unit="fps" floor={0} series={[{ label: "fps", className: "c1", values: samples.map((s) => s.inference_fps ?? null) }]} />
          </div>
        </>
      )}
    </div>
  );
}
