import type { ChannelForm } from "./ruleForm";

const blank = (): ChannelForm => ({ name: "", url: "", timeout_ms: "", headers: [] });

/** The webhooks a rule's alerts go to, each with optional headers. */
export function ChannelsField({ channels, onChange }: { channels: ChannelForm[]; onChange: (channels: ChannelForm[]) => void }) {
  const set = (index: number, patch: Partial<ChannelForm>) =>
    onChange(channels.map((c, i) => (i === index ? { ...c, ...patch } : c)));
  return (
    <fieldset class="stack">
      <legend>Channels (webhooks)</legend>
      {channels.length === 0 && <p class="muted small">No channels: alerts are recorded but not sent.</p>}
      {channels.map((channel, i) => (
        <div key={i} class="panel stack" data-testid="rule-channel">
          <div class="row">
            <label class="field">
              <span>Label (channel {i + 1})</span>
              <input value={channel.name} onInput={(e) => set(i, { name: e.currentTarget.value })} />
            </label>
            <label class="field field--grow">
              <span>URL (channel {i + 1})</span>
              <input type="url" required value={channel.url} placeholder="https://hooks.example.com/…" onInput={(e) => set(i, { url: e.currentTarget.value })} data-testid="rule-channel-url" />
            </label>
            <label class="field field--small">
              <span>Timeout, ms</span>
              <input type="number" min={1} value={channel.timeout_ms} onInput={(e) => set(i, { timeout_ms: e.currentTarget.value })} />
            </label>
          </div>
          {channel.headers.map((header, h) => (
            <div key={h} class="row">
              <label class="field">
                <span>Header {h + 1} name</span>
                <input
                  value={header.name}
                  onInput={(e) => set(i, { headers: channel.headers.map((x, j) => (j === h ? { ...x, name: e.currentTarget.value } : x)) })}
                />
              </label>
              <label class="field field--grow">
                <span>Header {h + 1} value</span>
                <input
                  value={header.value}
                  onInput={(e) => set(i, { headers: channel.headers.map((x, j) => (j === h ? { ...x, value: e.currentTarget.value } : x)) })}
                />
              </label>
              <button type="button" class="button button--small" onClick={() => set(i, { headers: channel.headers.filter((_, j) => j !== h) })}>
                Remove header {h + 1}
              </button>
            </div>
          ))}
          <div class="row">
            <button type="button" class="button button--small" onClick={() => set(i, { headers: [...channel.headers, { name: "", value: "" }] })}>
              Add a header
            </button>
            <button type="button" class="button button--small button--danger" onClick={() => onChange(channels.filter((_, j) => j !== i))}>
              Remove channel {i + 1}
            </button>
          </div>
        </div>
      ))}
      <div>
        <button type="button" class="button button--small" onClick={() => onChange([...channels, blank()])} data-testid="rule-add-channel">
          Add a webhook
        </button>
      </div>
    </fieldset>
  );
}
