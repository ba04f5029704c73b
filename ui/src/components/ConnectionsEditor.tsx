// The connections of an audience (a journey step or a standalone audience): which outputs
// hear when users enter and leave it, how (as events, a trait or a list), on or off.
import type { Connection, Output } from "../journey/model";

export function ConnectionsEditor({ owner, connections, outputs, onChange, note }: {
  /** The audience's id: new connection ids are made from it. */
  owner: string;
  connections: Connection[];
  outputs: Output[];
  onChange: (c: Connection[]) => void;
  note?: string;
}) {
  /** A connection id made from the owner and the output, unique among the others (but the `i`-th). */
  const connId = (output: string, i: number) => {
    const taken = (id: string) => connections.some((c, j) => j !== i && c.id === id);
    let id = `${owner}-${output}`;
    for (let n = 2; taken(id); n++) id = `${owner}-${output}-${n}`;
    return id;
  };
  /** A list output takes its members as a list; another output takes events unless a trait was chosen. */
  const modeFor = (output: string, mode: Connection["mode"]): Connection["mode"] => {
    const list = outputs.find((o) => o.id === output)?.kind === "list";
    return list ? "list" : mode === "list" ? "event" : mode;
  };
  const setConn = (i: number, c: Connection) => onChange(connections.map((x, j) => (j === i ? c : x)));
  return (
    <section aria-label="Connections" className="conn-editor">
      <h3>Connections</h3>
      <p className="muted small">Outputs that hear when users enter and leave this audience.{note ? ` ${note}` : ""}</p>
      {connections.map((c, i) => (
        <div className="conn-edit" key={i}>
          <div className="row">
            <select aria-label={`Connection ${i + 1} output`} className="grow" value={c.output} onChange={(e) => setConn(i, { ...c, output: e.target.value, id: c.id.startsWith(`${owner}-${c.output}`) ? connId(e.target.value, i) : c.id, mode: modeFor(e.target.value, c.mode) })}>
              {!outputs.some((o) => o.id === c.output) && <option value={c.output}>{c.output} (unknown)</option>}
              {outputs.map((o) => <option key={o.id} value={o.id}>{o.name ?? o.id} ({o.kind})</option>)}
            </select>
            <select aria-label={`Connection ${i + 1} mode`} value={c.mode} onChange={(e) => setConn(i, { ...c, mode: e.target.value as Connection["mode"] })}>
              <option value="event">as events</option>
              <option value="identify">as a trait</option>
              <option value="list">as a list</option>
            </select>
            <button type="button" className="icon" aria-label={`Remove connection ${c.id}`} onClick={() => onChange(connections.filter((_, j) => j !== i))}>×</button>
          </div>
          <div className="row small">
            <label className="check"><input type="checkbox" checked={c.active} onChange={(e) => setConn(i, { ...c, active: e.target.checked })} />active</label>
            <label className="check muted">id <input aria-label={`Connection ${i + 1} id`} className="conn-id" value={c.id} onChange={(e) => setConn(i, { ...c, id: e.target.value })} /></label>
          </div>
        </div>
      ))}
      {outputs.length === 0 ? (
        <p className="muted small">No outputs yet: create one on the Outputs page first.</p>
      ) : (
        <button type="button" className="link" onClick={() => {
          const out = outputs[0]!;
          onChange([...connections, { id: connId(out.id, connections.length), output: out.id, active: true, mode: out.kind === "list" ? "list" : "event" }]);
        }}>+ add a connection</button>
      )}
    </section>
  );
}
