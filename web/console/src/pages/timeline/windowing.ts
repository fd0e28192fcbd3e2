// Windowing the timeline: only the cards near the viewport are in the DOM, so 10,000
// loaded events cost what 30 do. Every card in a layout has the same size, so where
// card i sits is arithmetic, not measurement.

/** Below this width cards are one column of compact rows (a phone). */
export const COMPACT_BELOW = 560;
const COMPACT_ROW = 112;
const TILE_MIN_WIDTH = 280;
const TILE_TEXT_HEIGHT = 140;
const GAP = 12;

export interface GridLayout {
  compact: boolean;
  columns: number;
  cardWidth: number;
  cardHeight: number;
  /** A row's height including the gap below it. */
  rowHeight: number;
  gap: number;
}

/** The layout of cards in a list `width` pixels wide. */
export function gridLayout(width: number): GridLayout {
  const usable = Math.max(width, 1);
  if (usable < COMPACT_BELOW) {
    return { compact: true, columns: 1, cardWidth: usable, cardHeight: COMPACT_ROW - GAP / 2, rowHeight: COMPACT_ROW, gap: GAP };
  }
  const columns = Math.max(1, Math.floor((usable + GAP) / (TILE_MIN_WIDTH + GAP)));
  const cardWidth = (usable - GAP * (columns - 1)) / columns;
  const cardHeight = Math.round((cardWidth * 9) / 16) + TILE_TEXT_HEIGHT;
  return { compact: false, columns, cardWidth, cardHeight, rowHeight: cardHeight + GAP, gap: GAP };
}

/** Where card `index` sits inside the list. */
export function cardPosition(index: number, layout: GridLayout): { top: number; left: number } {
  const row = Math.floor(index / layout.columns);
  const column = index % layout.columns;
  return { top: row * layout.rowHeight, left: column * (layout.cardWidth + layout.gap) };
}

/**
 * The cards to render: those in rows that meet the viewport, plus `overscan` rows either
 * side. `offset` is how far the viewport's top is below the list's top (negative while
 * the list starts lower down the page). Answers [first, end) card indexes.
 */
export function visibleCards(
  offset: number,
  viewportHeight: number,
  count: number,
  layout: GridLayout,
  overscan = 2,
): [number, number] {
  if (count === 0) return [0, 0];
  const rows = Math.ceil(count / layout.columns);
  const firstRow = Math.max(0, Math.floor(offset / layout.rowHeight) - overscan);
  const lastRow = Math.min(rows, Math.ceil((offset + viewportHeight) / layout.rowHeight) + overscan);
  if (lastRow <= firstRow) return [0, 0];
  return [firstRow * layout.columns, Math.min(count, lastRow * layout.columns)];
}

/** The list's full height. */
export function listHeight(count: number, layout: GridLayout): number {
  return Math.ceil(count / layout.columns) * layout.rowHeight;
}
