// Where a live chart puts things, as pure functions over numbers: the x axis is the
// points' indexes 0..n-1 (uPlot's ordinal scale) labelled with the label column, bars
// of several series stand side by side around their index, the y axis starts from
// zero, ends on a round number and counts in whole steps when every series is an
// integer.

/** Share of an index's width a group of bars takes (the rest is the gap between groups). */
export const BAR_GROUP = 0.72;
/** Widest bar in CSS pixels: a few groups on a wide pane stay bars, not blocks. */
export const MAX_BAR_PX = 56;
/** Share of its slot one bar of several fills: a hairline between neighbours. */
const BAR_FILL = 0.88;
/** Headroom over the tallest bar (and under the lowest negative one), of the range. */
const Y_GRACE = 0.08;
/** The y range ends on a multiple of a step about this share of it. */
const Y_STEP = 0.2;
/** Characters an axis label shows at most; longer ones end in an ellipsis. */
export const LABEL_CHARS = 24;

/** The x scale: half an index either side, so the first and last bars are whole. */
export function xRange(count: number): [number, number] {
  return [-0.5, Math.max(count, 1) - 0.5];
}

/** The indexes an x axis labels: multiples of `incr` from `min` to `max`. */
export function indexSplits(min: number, max: number, incr: number): number[] {
  const step = Math.max(1, Math.round(incr));
  const splits = [];
  for (let i = Math.ceil(Math.max(min, 0) / step) * step; i <= max; i += step) splits.push(i);
  return splits;
}

/** A label cut to `chars` characters, the cut marked. */
export function fitLabel(text: string, chars = LABEL_CHARS): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

/** The axis labels at `splits`: each index's label, cut to fit; nothing off the data. */
export function indexLabels(splits: readonly (number | null | undefined)[], labels: readonly string[]): string[] {
  return splits.map((i) => (typeof i === "number" && Number.isInteger(i) && i >= 0 && i < labels.length ? fitLabel(labels[i]) : ""));
}

/** Where each series' bar sits in its group, in x units from the index, and how wide. */
export interface BarSlots {
  width: number;
  offsets: number[];
}

/**
 * Bars of `series` series side by side, centred on their index: the group takes
 * BAR_GROUP of the index's width, no bar wider than MAX_BAR_PX, `unitPx` being the
 * index's width on screen.
 */
export function barSlots(series: number, unitPx: number): BarSlots {
  const slot = Math.min(BAR_GROUP / series, unitPx > 0 ? MAX_BAR_PX / unitPx : Infinity);
  const width = series > 1 ? slot * BAR_FILL : slot;
  const start = -(slot * series) / 2 + (slot - width) / 2;
  return { width, offsets: Array.from({ length: series }, (_, k) => start + k * slot) };
}

/** The smallest of 1, 2, 2.5 and 5 times a power of ten (no 2.5 for integers) not under `x`. */
export function niceStep(x: number, integers: boolean): number {
  if (!(x > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(x));
  const multiples = integers && power < 10 ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  const step = (multiples.find((m) => m * power >= x * (1 - 1e-9)) ?? 10) * power;
  return integers ? Math.max(1, Math.round(step)) : step;
}

/**
 * The y scale for data from `min` to `max` (null: no data): always holding zero, with
 * some headroom beyond the data, its ends on multiples of a round step — so the top
 * grid line is labelled, and a chart whose values creep up keeps its scale until they
 * pass the next step instead of moving on every batch.
 */
export function yRange(min: number | null, max: number | null, integers: boolean): [number, number] {
  const lo = min !== null && Number.isFinite(min) ? Math.min(0, min) : 0;
  const hi = max !== null && Number.isFinite(max) ? Math.max(0, max) : 0;
  if (hi === lo) return [lo, lo + 1];
  const span = hi - lo;
  const step = niceStep(span * Y_STEP, integers);
  const end = (value: number, round: (x: number) => number) => round((value + Math.sign(value) * span * Y_GRACE) / step) * step;
  return [lo < 0 ? end(lo, Math.floor) : 0, hi > 0 ? end(hi, Math.ceil) : 0];
}

const tickFormats = new Map<string | undefined, Intl.NumberFormat>();

/** A y tick as the axis shows it: short (12.5K, 2.5M), so the axis keeps its width
 * while the values grow; ticks are a few steps of a round number, which four
 * significant digits always hold. */
export function tickText(value: number, locale?: string): string {
  let format = tickFormats.get(locale);
  if (!format) tickFormats.set(locale, (format = new Intl.NumberFormat(locale, { notation: "compact", maximumSignificantDigits: 4 })));
  return format.format(value);
}

/** Tick steps of an integer axis: 1, 2, 5, 10, 20, 50, … (never a fraction). */
export const INTEGER_INCRS: number[] = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();
