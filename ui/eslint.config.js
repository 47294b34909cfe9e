import js from "@eslint/js";
import globals from "globals";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist", "node_modules", "src/bindings"] },
  {
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    files: ["**/*.{ts,tsx}"],
    languageOptions: { globals: globals.browser },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Only ipc.ts may talk to Tauri.
      // uPlot only through live-chart/uplot.ts, which makes navigator.language valid first.
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "uplot", message: "import from features/live-chart/uplot.ts instead", allowTypeImports: true }],
          patterns: [{ group: ["@tauri-apps/*"], message: "import from src/ipc.ts instead" }],
        },
      ],
    },
  },
  { files: ["src/ipc.ts", "src/features/live-chart/uplot.ts"], rules: { "no-restricted-imports": "off" } },
);
