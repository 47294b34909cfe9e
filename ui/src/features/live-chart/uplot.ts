// uPlot, loaded after languageTag.ts has made `navigator.language` a tag Intl accepts:
// uPlot builds its number format from it as it loads, and a tag Intl rejects ("C"
// under LANG=C.UTF-8, which WebKitGTK passes on) threw a RangeError that stopped the
// whole UI from loading (uPlot issue #1053; the published 1.6.32 still reads it so).
// The chart imports uPlot from here only.
import "./languageTag";
import uPlot from "uplot";

export default uPlot;
