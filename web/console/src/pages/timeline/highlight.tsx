// Search hits come back HTML-escaped with <mark>…</mark> around the matched words. They
// are never given to innerHTML: the text is split on the marks and unescaped, and Preact
// renders the parts as text.

const ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };

function unescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);
}

/** The parts of a highlight: text, and whether it was marked. */
export function highlightParts(html: string): { text: string; marked: boolean }[] {
  const parts: { text: string; marked: boolean }[] = [];
  const pattern = /<mark>(.*?)<\/mark>/gs;
  let last = 0;
  for (const found of html.matchAll(pattern)) {
    const at = found.index ?? 0;
    if (at > last) parts.push({ text: unescape(html.slice(last, at)), marked: false });
    parts.push({ text: unescape(found[1] ?? ""), marked: true });
    last = at + found[0].length;
  }
  if (last < html.length) parts.push({ text: unescape(html.slice(last)), marked: false });
  return parts;
}

export function Highlighted({ html }: { html: string }) {
  return (
    <>
      {highlightParts(html).map((part, i) => (part.marked ? <mark key={i}>{part.text}</mark> : part.text))}
    </>
  );
}
