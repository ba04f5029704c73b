// Journey-wide settings (SPEC §6): exit criteria, timeout, goal, control group, quiet hours
// with time zone, frequency cap.
import type { Input, Journey, Settings } from "../journey/model";
import { CriteriaBuilder, durationError, type BuilderContext } from "./CriteriaBuilder";

export function SettingsPanel({ journey, onChange, ctx, editable, available }: { journey: Journey; onChange: (j: Journey) => void; ctx: BuilderContext; editable: boolean; available: Input[] }) {
  const s = journey.settings ?? {};
  const set = (patch: Partial<Settings>) => {
    const next = { ...s, ...patch } as Record<string, unknown>;
    for (const k of Object.keys(next)) if (next[k] === undefined) delete next[k];
    onChange({ ...journey, settings: next as Settings });
  };
  const cg = s.control_group?.percent;
  return (
    <aside className="panel" aria-label="Journey settings">
      <h2>Settings</h2>
      <fieldset disabled={!editable} className="plain">
        <label className="field">Description
          <textarea rows={2} value={journey.description ?? ""} onChange={(e) => onChange({ ...journey, description: e.target.value || undefined })} />
        </label>
        <fieldset>
          <legend>Inputs whose events count</legend>
          {available.length === 0 && <span className="muted small">No inputs visible to this token.</span>}
          {available.map((i) => {
            const ref = `${i.workspace}/${i.id}`;
            const on = (journey.inputs ?? []).includes(ref);
            return (
              <label key={ref} className="check input-check">
                <input type="checkbox" checked={on} onChange={(e) => onChange({ ...journey, inputs: e.target.checked ? [...(journey.inputs ?? []), ref] : (journey.inputs ?? []).filter((x) => x !== ref) })} />
                {i.name} <span className="muted small">{ref}</span>
              </label>
            );
          })}
        </fieldset>
        <CriteriaBuilder label="Exit criteria" optional value={s.exit} ctx={ctx} onChange={(exit) => set({ exit })} />
        <div className="grid2">
          <label className="field">Longest stay in the journey (timeout)
            <input placeholder="e.g. 30d" value={s.timeout ?? ""} onChange={(e) => set({ timeout: e.target.value || undefined })} aria-invalid={durationError(s.timeout) ? true : undefined} />
            {durationError(s.timeout) && <span className="error-text" role="alert">{durationError(s.timeout)}</span>}
          </label>
          <label className="field">Control group (% held out, 0–50)
            <input type="number" min={0} max={50} value={cg ?? ""} placeholder="none"
              onChange={(e) => set({ control_group: e.target.value === "" ? undefined : { percent: Number(e.target.value) } })} aria-invalid={cg !== undefined && (cg < 0 || cg > 50) ? true : undefined} />
            {cg !== undefined && (cg < 0 || cg > 50) && <span className="error-text" role="alert">Between 0 and 50</span>}
          </label>
        </div>
        <section className="subsection" aria-label="Goal">
          <label className="check">
            <input type="checkbox" checked={s.goal !== undefined} onChange={(e) => set({ goal: e.target.checked ? { criteria: { event: "" } } : undefined })} />
            Track a goal
          </label>
          {s.goal && (
            <>
              <CriteriaBuilder label="Goal criteria" value={s.goal.criteria} ctx={ctx} onChange={(c) => set({ goal: { ...s.goal!, criteria: c ?? { everyone: true } } })} />
              <div className="grid2">
                <label className="field">Within
                  <input placeholder="e.g. 7d (optional)" value={s.goal.within ?? ""} onChange={(e) => set({ goal: { ...s.goal!, within: e.target.value || undefined } })} />
                </label>
                <label className="check">
                  <input type="checkbox" checked={s.goal.exit_on_goal ?? false} onChange={(e) => set({ goal: { ...s.goal!, exit_on_goal: e.target.checked } })} />
                  Leave the journey on reaching the goal
                </label>
              </div>
            </>
          )}
        </section>
        <section className="subsection" aria-label="Quiet hours">
          <label className="check">
            <input type="checkbox" checked={s.quiet_hours !== undefined} onChange={(e) => set({ quiet_hours: e.target.checked ? { start: "21:00", end: "08:00", fallback: "delay" } : undefined })} />
            Quiet hours (no sends)
          </label>
          {s.quiet_hours && (
            <div className="grid3">
              <label className="field">From<input value={s.quiet_hours.start} onChange={(e) => set({ quiet_hours: { ...s.quiet_hours!, start: e.target.value } })} /></label>
              <label className="field">To<input value={s.quiet_hours.end} onChange={(e) => set({ quiet_hours: { ...s.quiet_hours!, end: e.target.value } })} /></label>
              <label className="field">Then
                <select value={s.quiet_hours.fallback} onChange={(e) => set({ quiet_hours: { ...s.quiet_hours!, fallback: e.target.value as "delay" | "skip" } })}>
                  <option value="delay">delay the send</option>
                  <option value="skip">skip the send</option>
                </select>
              </label>
            </div>
          )}
          <label className="field">Time zone for users without a timezone trait
            <input placeholder="e.g. Europe/Paris" value={s.timezone ?? ""} onChange={(e) => set({ timezone: e.target.value || undefined })} />
          </label>
        </section>
        <section className="subsection" aria-label="Frequency cap">
          <label className="check">
            <input type="checkbox" checked={s.frequency_cap !== undefined} onChange={(e) => set({ frequency_cap: e.target.checked ? { max: 3, per: "7d" } : undefined })} />
            Frequency cap on sends per user
          </label>
          {s.frequency_cap && (
            <div className="grid2">
              <label className="field">At most<input type="number" min={1} value={s.frequency_cap.max} onChange={(e) => set({ frequency_cap: { ...s.frequency_cap!, max: Number(e.target.value) } })} /></label>
              <label className="field">per<input value={s.frequency_cap.per} onChange={(e) => set({ frequency_cap: { ...s.frequency_cap!, per: e.target.value } })} /></label>
            </div>
          )}
        </section>
      </fieldset>
    </aside>
  );
}
