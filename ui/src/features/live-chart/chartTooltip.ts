// The chart's hover box: the label under the pointer and each series' value there,
// beside the bar or point, kept inside the plot. A uPlot plugin; it follows the
// points as they change, since uPlot moves its cursor again after every setData.
import type uPlot from "uplot";

import { pointText } from "./chartData";

/** Distance between the pointed index and the box, in CSS pixels. */
const OFFSET = 12;

export function tooltip(labels: () => readonly string[], names: readonly string[], colors: readonly string[]): uPlot.Plugin {
  const box = document.createElement("div");
  box.className = "chart-tip";
  box.hidden = true;

  const show = (u: uPlot) => {
    const i = u.cursor.idx;
    const left = u.cursor.left ?? -1;
    if (i === null || i === undefined || left < 0 || i >= u.data[0].length) {
      box.hidden = true;
      return;
    }
    const title = document.createElement("div");
    title.className = "chart-tip-title";
    title.textContent = labels()[i] ?? "";
    const rows = names.map((name, k) => {
      const row = document.createElement("div");
      row.className = "chart-tip-row";
      const marker = document.createElement("i");
      marker.style.background = colors[k];
      const value = document.createElement("b");
      value.textContent = pointText(u.data[k + 1][i]);
      row.append(marker, name, value);
      return row;
    });
    box.replaceChildren(title, ...rows);
    box.hidden = false;
    // Right of the index, or left of it where the plot ends.
    const x = u.valToPos(i, "x");
    const width = box.offsetWidth;
    const plot = u.over.clientWidth;
    const at = x + OFFSET + width <= plot ? x + OFFSET : Math.max(0, x - OFFSET - width);
    const top = Math.min(Math.max(0, (u.cursor.top ?? 0) - box.offsetHeight / 2), Math.max(0, u.over.clientHeight - box.offsetHeight));
    box.style.transform = `translate(${Math.round(at)}px, ${Math.round(top)}px)`;
  };

  return {
    hooks: {
      init: (u) => void u.over.append(box),
      setCursor: show,
    },
  };
}
