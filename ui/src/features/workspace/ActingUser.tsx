// The acting-user selector: who the console runs as and new panes open as. Empty is
// admin (every user's rows of USER tables, with `_user`). Users picked before are
// offered again.
import { useEffect, useState } from "react";

const KEY = "tidepool.users";
const REMEMBERED = 12;

function remembered(): string[] {
  try {
    const list: unknown = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(list) ? list.filter((u): u is string => typeof u === "string") : [];
  } catch {
    return [];
  }
}

export function ActingUser({ value, onChange }: { value: string; onChange: (user: string) => void }) {
  const [users, setUsers] = useState(remembered);
  // Remember a user once the field has settled on it.
  useEffect(() => {
    const user = value.trim();
    if (!user) return;
    const timer = setTimeout(() => {
      setUsers((list) => {
        const next = [user, ...list.filter((u) => u !== user)].slice(0, REMEMBERED);
        localStorage.setItem(KEY, JSON.stringify(next));
        return next;
      });
    }, 1000);
    return () => clearTimeout(timer);
  }, [value]);

  return (
    <label className={`acting-user ${value.trim() ? "as-user" : ""}`}>
      acting as
      <span className="acting-field">
        <input
          value={value}
          onChange={(e) => onChange(e.target.value)}
          placeholder="admin"
          aria-label="Acting user"
          list="acting-users"
          title="Empty: admin (all users' rows, with _user). A name: that user's rows of USER tables."
        />
        {value.trim() && (
          <button className="as-admin" aria-label="Act as admin" title="Act as admin" onClick={() => onChange("")}>
            ×
          </button>
        )}
      </span>
      <datalist id="acting-users">
        {users.map((u) => (
          <option key={u} value={u} />
        ))}
      </datalist>
    </label>
  );
}
