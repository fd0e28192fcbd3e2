import { describe, expect, it } from "vitest";
import { highlightParts } from "./highlight";

describe("search highlights", () => {
  it("splits on the marks and unescapes text without interpreting markup", () => {
    expect(highlightParts("a <mark>red</mark> car &lt;b&gt; &amp; <mark>van</mark>")).toEqual([
      { text: "a ", marked: false },
      { text: "red", marked: true },
      { text: " car <b> & ", marked: false },
      { text: "van", marked: true },
    ]);
    expect(highlightParts("")).toEqual([]);
  });
});
