import { describe, expect, it } from "vitest";
import { cardPosition, gridLayout, listHeight, visibleCards } from "./windowing";

describe("windowing", () => {
  it("lays a phone out as one column of compact rows", () => {
    const layout = gridLayout(366);
    expect(layout.compact).toBe(true);
    expect(layout.columns).toBe(1);
    expect(cardPosition(3, layout)).toEqual({ top: 3 * layout.rowHeight, left: 0 });
  });

  it("fits as many tiles as the width allows", () => {
    const layout = gridLayout(1248);
    expect(layout.compact).toBe(false);
    expect(layout.columns).toBe(4);
    expect(cardPosition(5, layout).top).toBe(layout.rowHeight);
    expect(listHeight(9, layout)).toBe(3 * layout.rowHeight);
  });

  it("renders only the rows near the viewport, whatever the list's length", () => {
    const layout = gridLayout(366);
    const [first, end] = visibleCards(100 * layout.rowHeight, 800, 10_000, layout, 2);
    expect(first).toBe(98);
    expect(end - first).toBeLessThan(15);
    expect(visibleCards(-500, 800, 10_000, layout)[0]).toBe(0);
    expect(visibleCards(0, 800, 3, layout)).toEqual([0, 3]);
    expect(visibleCards(1e9, 800, 10, layout)).toEqual([0, 0]);
  });
});
