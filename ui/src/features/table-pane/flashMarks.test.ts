import { describe, expect, it } from "vitest";

import { FlashMarks } from "./flashMarks";

describe("flash marks", () => {
  it("run out in the order they were set, a mark set again at its new time", () => {
    const marks = new FlashMarks();
    marks.set("a", { columns: "row", until: 100 });
    marks.set("b", { columns: [1], until: 150 });
    marks.set("a", { columns: [2], until: 200 });
    expect(marks.expire(99)).toEqual([]);
    // a's first entry is behind its newer mark: nothing runs out at 100.
    expect(marks.expire(100)).toEqual([]);
    expect(marks.get("a")).toEqual({ columns: [2], until: 200 });
    expect(marks.expire(150)).toEqual(["b"]);
    expect(marks.get("b")).toBeUndefined();
    expect(marks.size).toBe(1);
    expect(marks.expire(200)).toEqual(["a"]);
    expect(marks.size).toBe(0);
  });

  it("forget a deleted key, and a key set after its delete lasts until its own time", () => {
    const marks = new FlashMarks();
    marks.set("a", { columns: "row", until: 100 });
    marks.delete("a");
    expect(marks.size).toBe(0);
    expect(marks.expire(100)).toEqual([]);
    marks.set("a", { columns: "row", until: 300 });
    expect(marks.expire(200)).toEqual([]);
    expect(marks.size).toBe(1);
  });

  it("keep up with a steady stream, holding only the marks of the last interval", () => {
    const marks = new FlashMarks();
    for (let t = 0; t < 20_000; t++) {
      marks.set(`k${t % 5_000}`, { columns: [0], until: t + 1_000 });
      marks.expire(t);
    }
    expect(marks.size).toBe(1_000);
    expect(marks.get("k4999")?.until).toBe(20_999);
    expect(marks.get("k3999")).toBeUndefined();
  });
});
