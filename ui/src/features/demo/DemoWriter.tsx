// The demo writer in the status bar, while the demo database is open: marked as the
// demo's own writer, with what it has done, its pace and a pause switch. It writes only
// into the demo database (the app refuses to start it anywhere else).
import { useEffect, useState } from "react";

import type { DemoStatus } from "../../bindings/DemoStatus";
import { api } from "../../ipc";

/** Paces offered, in steps a second (the writer's own pace is added if it is another). */
const PACES = [1, 3, 10, 30];

export function DemoWriter({ database }: { database: string | null }) {
  const [status, setStatus] = useState<DemoStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Asked again for each database; polled once a second while the demo is open, for
  // the step count and errors.
  useEffect(() => {
    let current = true;
    let timer: ReturnType<typeof setInterval> | undefined;
    const ask = () =>
      api.demoStatus().then(
        (next) => {
          if (!current) return;
          setStatus(next);
          if (!next.open) clearInterval(timer);
          else if (timer === undefined) timer = setInterval(ask, 1000);
        },
        () => current && setStatus(null),
      );
    void ask();
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [database]);

  if (!status?.open) return null;
  const state = !status.running ? "stopped" : status.paused ? "paused" : "running";
  const change = (paused: boolean, pace: number) =>
    api.setDemoWriter(paused, pace).then(
      (next) => {
        setStatus(next);
        setError(null);
      },
      (e: { message: string }) => setError(e.message),
    );
  const paces = PACES.includes(status.pace) ? PACES : [...PACES, status.pace].sort((a, b) => a - b);
  const problem = error ?? status.error;
  const text =
    state === "stopped" ? "not running" : `${state === "paused" ? "paused" : "writing"} · ${status.steps.toLocaleString()} steps`;
  return (
    <span
      className={`demo-writer ${state}`}
      data-demo-writer={state}
      title={
        problem ??
        "The demo writer places, pays, ships and cancels orders in the demo database (shop.orders, shop.events, shop.customers), and in no other database"
      }
    >
      <span className="demo-badge">demo writer</span>
      <span className={problem ? "demo-problem" : ""}>{problem ? `error: ${problem}` : text}</span>
      {status.running && (
        <>
          <select
            aria-label="Demo writer pace"
            value={status.pace}
            onChange={(e) => void change(status.paused, Number(e.target.value))}
          >
            {paces.map((p) => (
              <option key={p} value={p}>
                {p}/s
              </option>
            ))}
          </select>
          <button aria-pressed={status.paused} onClick={() => void change(!status.paused, status.pace)}>
            {status.paused ? "Resume" : "Pause"}
          </button>
        </>
      )}
    </span>
  );
}
