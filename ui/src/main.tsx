import { createRoot } from "react-dom/client";
import "@glideapps/glide-data-grid/dist/index.css";

import { App } from "./App";
import { startTheme } from "./features/appearance/themeChoice";
import "./styles.css";

startTheme();

// No StrictMode: pane event handlers start fetches from state updates, which
// StrictMode would run twice.
createRoot(document.getElementById("root")!).render(<App />);
