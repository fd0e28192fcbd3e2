import { describe, expect, it } from "vitest";
import { orderedCorners, outlineProblem, svgPoints } from "./outline";

const p = (x: number, y: number) => ({ x, y });

describe("zone outlines", () => {
  it("takes what the gateway takes", () => {
    expect(outlineProblem("polygon", [p(0, 0), p(1, 0), p(0, 1)])).toBeNull();
    expect(outlineProblem("rectangle", [p(0.2, 0.8), p(0.1, 0.1)])).toBeNull();
  });

  it("refuses what the gateway refuses, saying why", () => {
    expect(outlineProblem("polygon", [p(0, 0), p(1, 0)])).toMatch(/at least 3/);
    expect(outlineProblem("polygon", [p(0, 0), p(1, 1), p(1, 0), p(0, 1)])).toMatch(/crosses itself/);
    expect(outlineProblem("polygon", [p(0, 0), p(0, 0), p(1, 1)])).toMatch(/repeats/);
    expect(outlineProblem("rectangle", [p(0.1, 0.1), p(0.1, 0.5)])).toMatch(/no width/);
    expect(outlineProblem("rectangle", [p(0.1, 0.1)])).toMatch(/Drag/);
    expect(outlineProblem("polygon", [p(0, 0), p(1.2, 0), p(0, 1)])).toMatch(/0 to 1/);
  });

  it("stores rectangles top-left first and draws them as four corners", () => {
    expect(orderedCorners(p(0.8, 0.1), p(0.2, 0.6))).toEqual([p(0.2, 0.1), p(0.8, 0.6)]);
    expect(svgPoints("rectangle", [p(0.5, 0.5), p(0, 0)], 100, 10)).toBe("0,0 50,0 50,5 0,5");
  });
});
