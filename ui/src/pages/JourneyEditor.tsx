// The journey page: the canvas with the step tree, the toolbar of lifecycle actions, and a
// side panel (the selected step, settings, statistics, versions, simulation).
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Background, Controls, ReactFlow, ReactFlowProvider, useReactFlow, type Edge } from "@xyflow/react";
import { ApiError, call } from "../api/client";
import type { AnyStep, Input, Journey, JourneyStats, JourneySummary, JourneyView, Output, Workspace } from "../journey/model";
import { LIMITS } from "../journey/model";
import { addChild, blankJourney, countSteps, findStep, localProblems, newStep, removeStep, slug, split, stepOfPath, updateStep, walk } from "../journey/tree";
import { NODE_WIDTH, layout } from "../journey/layout";
import { StepNode, type AddKind, type SplitKind, type StepFlowNode } from "../components/StepNode";
import { StepPanel } from "../components/StepPanel";
import { SettingsPanel } from "../components/SettingsPanel";
import { StatsPanel } from "../components/StatsPanel";
import { Counter, Empty, ErrorBox, Loading } from "../components/common";
import type { BuilderContext } from "../components/CriteriaBuilder";
import { listInputs } from "../api/inputs";
import { useAudiences } from "../audiences/useBuilderContext";
import { useAttributeNames } from "../attributes/names";
import { byStep, scopesOf, type JourneyEstimate } from "../estimate/model";
import { useDraftEstimates } from "../estimate/useDraftEstimates";

const nodeTypes = { step: StepNode };

type Panel = "step" | "settings" | "stats" | "versions" | "simulate";

/** Rules of SPEC §9, in words, for the places that enforce them. */
const PUBLISHED_RULE =
  "A published journey takes only changes to its name, description and connections, a new leaf step, or deleting a leaf step without connections. Any other change is saved as a new draft version; publish it to send new entrants there while users already inside finish the current one.";
const DELETE_RULE = "Only a journey that is not published and has no steps below its entry can be deleted (delete steps leaf first).";

export function JourneyEditor({ id: fixedId }: { id?: string | null }) {
  const params = useParams();
  const id = fixedId === null ? null : params.id ?? null;
  const ws = useQuery({ queryKey: ["workspaces"], queryFn: () => call<Workspace[], "get">("get", "/api/workspaces") });
  if (id === null) return <NewJourney workspaces={ws.data ?? []} wsError={ws.error} />;
  return (
    <ReactFlowProvider>
      <Editor id={id} />
    </ReactFlowProvider>
  );
}


/** mParticle's Create Journey dialog: name, id, workspaces and inputs. */
function NewJourney({ workspaces, wsError }: { workspaces: Workspace[]; wsError: unknown }) {
  const [name, setName] = useState("");
  const [id, setId] = useState("");
  const [idTouched, setIdTouched] = useState(false);
  const [inputs, setInputs] = useState<string[]>([]);
  const [entryEvent, setEntryEvent] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const nav = useNavigate();
  const qc = useQueryClient();
  const inputQueries = useQuery({
    queryKey: ["inputs", workspaces.map((w) => w.id)],
    enabled: workspaces.length > 0,
    queryFn: async () => (await Promise.all(workspaces.map((w) => call<Input[], "get">("get", "/api/workspaces/{ws}/inputs", { params: { ws: w.id } })))).flat(),
  });
  const effectiveId = idTouched ? id : slug(name);
  const nameErr = name.length > LIMITS.journeyName ? `At most ${LIMITS.journeyName} characters` : null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const j = blankJourney(effectiveId, name.trim(), inputs, entryEvent.trim() || undefined);
      await call("post", "/api/journeys", { body: j });
      await qc.invalidateQueries({ queryKey: ["journeys"] });
      nav(`/journeys/${encodeURIComponent(effectiveId)}`);
    } catch (x) {
      setError(x);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="page narrow">
      <h1>Create a journey</h1>
      <form className="card" onSubmit={submit}>
        <label htmlFor="jname">Journey name <Counter n={name.length} max={LIMITS.journeyName} /></label>
        <input id="jname" value={name} onChange={(e) => setName(e.target.value)} required aria-invalid={nameErr ? true : undefined} aria-describedby={nameErr ? "jname-err" : undefined} />
        {nameErr && <div id="jname-err" className="error-text" role="alert">{nameErr}</div>}
        <label htmlFor="jid">Journey id</label>
        <input id="jid" value={effectiveId} onChange={(e) => { setIdTouched(true); setId(e.target.value); }} required pattern="[A-Za-z0-9_\-]+" title="letters, digits, - and _" />
        <label htmlFor="jentry">Users enter on the event (optional)</label>
        <input id="jentry" value={entryEvent} onChange={(e) => setEntryEvent(e.target.value)} placeholder="e.g. Product Added; empty: every profile when first seen" />
        <fieldset>
          <legend>Inputs whose events count</legend>
          <ErrorBox error={wsError ?? inputQueries.error} title="Could not load the workspaces and inputs" />
          {inputQueries.isLoading && <Loading what="inputs" />}
          {workspaces.map((w) => {
            const mine = (inputQueries.data ?? []).filter((i) => i.workspace === w.id);
            return (
              <div key={w.id} className="ws-inputs">
                <div className="ws-name">{w.name} <span className="muted small">{w.id}</span></div>
                {mine.length === 0 && <span className="muted small">no inputs</span>}
                {mine.map((i) => {
                  const ref = `${w.id}/${i.id}`;
                  return (
                    <label key={ref} className="check">
                      <input type="checkbox" checked={inputs.includes(ref)} onChange={(e) => setInputs(e.target.checked ? [...inputs, ref] : inputs.filter((x) => x !== ref))} />
                      {i.name} <span className="muted small">{i.kind}</span>
                    </label>
                  );
                })}
              </div>
            );
          })}
        </fieldset>
        <button className="primary" type="submit" disabled={busy || !name.trim() || !!nameErr || inputs.length === 0}>Create journey</button>
        {inputs.length === 0 && <p className="muted small">Choose at least one input.</p>}
        <ErrorBox error={error} title="The journey was not created" />
      </form>
    </div>
  );
}

function Editor({ id }: { id: string }) {
  const qc = useQueryClient();
  const nav = useNavigate();
  const flow = useReactFlow();
  const view = useQuery({
    queryKey: ["journey", id],
    queryFn: () => call<JourneyView, "get">("get", "/api/journeys/{id}", { params: { id } }),
    refetchInterval: (q) => (q.state.data?.backfill?.state === "running" ? 1000 : false),
  });
  const stats = useQuery({
    queryKey: ["stats", id],
    queryFn: () => call<JourneyStats, "get">("get", "/api/journeys/{id}/stats", { params: { id } }),
    refetchInterval: 2000,
  });
  // Every step's size estimate (SPEC §10) of the saved latest version; refreshed after each
  // save and now and then, as the population changes.
  const estimate = useQuery({
    queryKey: ["estimate", id],
    queryFn: () => call<JourneyEstimate, "get">("get", "/api/journeys/{id}/estimate", { params: { id } }),
    refetchInterval: 10000,
  });
  const outputs = useQuery({ queryKey: ["outputs"], queryFn: () => call<{ outputs: Output[] }, "get">("get", "/api/outputs") });
  const journeys = useQuery({ queryKey: ["journeys"], queryFn: () => call<{ journeys: JourneySummary[] }, "get">("get", "/api/journeys") });
  const allInputs = useQuery({ queryKey: ["all-inputs"], queryFn: listInputs });
  const audiences = useAudiences();
  const attributes = useAttributeNames();

  const [draft, setDraft] = useState<Journey | null>(null);
  const [dirty, setDirty] = useState(false);
  const [selected, setSelected] = useState<string | null>("entry");
  const [panel, setPanel] = useState<Panel>("step");
  const [problems, setProblems] = useState<{ path: string; code: string; message: string }[]>([]);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [toggling, setToggling] = useState<string | null>(null);
  const [statsVersion, setStatsVersion] = useState<number | null>(null);
  const [funnelStep, setFunnelStep] = useState<string | null>(null);

  // Unsaved edits are not lost silently: leaving the page asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  // Take the server's definition whenever there are no local edits.
  useEffect(() => {
    if (view.data && !dirty) setDraft(view.data.definition);
  }, [view.data, dirty]);

  const v = view.data;
  // The live version takes new entrants: the newest published one. Older published versions
  // keep running only for the users already in them.
  const liveVersion = v?.versions.filter((x) => x.status === "published").reduce<number | undefined>((m, x) => Math.max(m ?? 0, x.version), undefined);
  const latestStatus = v?.latest_status ?? v?.status;
  const shownVersion = statsVersion ?? liveVersion ?? v?.version ?? 1;
  const ctx: BuilderContext = useMemo(() => ({
    inputs: (allInputs.data ?? []).map((i) => `${i.workspace}/${i.id}`),
    journeys: (journeys.data?.journeys ?? []).map((j) => ({ id: j.id, steps: j.id === id && draft ? walk(draft).map((l) => l.step.id) : [] })),
    audiences: (audiences.data?.audiences ?? []).map((a) => ({ id: a.id, name: a.name })),
    attributes: attributes.data ?? [],
    estimate: scopesOf(draft?.inputs, [...new Set((allInputs.data ?? []).map((i) => i.workspace))]),
  }), [draft, journeys.data, id, allInputs.data, audiences.data, attributes.data]);
  const saved = useMemo(() => byStep(estimate.data), [estimate.data]);
  // Unsaved edits are estimated in the browser from each step's path; saved ones by the server.
  const drafted = useDraftEstimates(id, draft, dirty);
  const estimates = dirty && drafted ? drafted : saved;

  const local = useMemo(() => (draft ? localProblems(draft, LIMITS) : []), [draft]);
  const problemsByStep = useMemo(() => {
    const m = new Map<string, string[]>();
    if (!draft) return m;
    for (const p of local) if (p.step) m.set(p.step, [...(m.get(p.step) ?? []), p.message]);
    for (const p of problems) {
      const s = stepOfPath(draft, p.path) ?? "entry";
      m.set(s, [...(m.get(s) ?? []), p.message]);
    }
    return m;
  }, [problems, draft, local]);

  const edit = (f: (j: Journey) => Journey) => {
    setDraft((d) => (d ? f(d) : d));
    setDirty(true);
    setNotice(null);
  };

  const outputNames = useMemo(() => Object.fromEntries((outputs.data?.outputs ?? []).map((o) => [o.id, o.name ?? o.id])), [outputs.data]);

  /** A connection's switch: on a saved journey it takes effect at once (SPEC §9 allows it on published ones). */
  const toggle = async (step: string, conn: string, active: boolean) => {
    const flip = (j: Journey) => updateStep(j, step, (s) => ({ ...s, connections: (s.connections ?? []).map((c) => (c.id === conn ? { ...c, active } : c)) }));
    if (dirty || !v) {
      edit(flip);
      return;
    }
    setToggling(`${step}/${conn}`);
    setActionError(null);
    try {
      const next = await call<JourneyView, "patch">("patch", "/api/journeys/{id}", { params: { id }, body: flip(v.definition) });
      qc.setQueryData(["journey", id], next);
      setNotice(`Connection ${conn} is now ${active ? "on" : "off"}.`);
      await Promise.all([qc.invalidateQueries({ queryKey: ["stats", id] }), qc.invalidateQueries({ queryKey: ["account"] })]);
    } catch (x) {
      setActionError(x);
    } finally {
      setToggling(null);
    }
  };

  const placed = useMemo(() => (draft ? layout(draft, new Set(problemsByStep.keys())) : []), [draft, problemsByStep]);
  const nodes: StepFlowNode[] = useMemo(() => {
    if (!draft) return [];
    const statVersion = stats.data?.versions.find((x) => x.version === shownVersion);
    const statSteps = statVersion?.steps ?? [];
    return placed.map((p) => {
      const step = findStep(draft, p.id)!.step;
      const st = statSteps.find((s) => s.step === p.id);
      const est = estimates.get(p.id);
      return {
        id: p.id,
        type: "step" as const,
        position: { x: p.x, y: p.y },
        draggable: false,
        data: {
          step,
          stepKey: v?.keys[p.id],
          inputs: p.id === "entry" ? draft.inputs ?? [] : undefined,
          audience: v?.audiences[p.id],
          stats: st ? { at: st.at, entered: st.entered, audience: st.audience } : undefined,
          control: p.id === "entry" && statVersion && draft.settings?.control_group ? { held: statVersion.conversion?.control.entries ?? statVersion.control, uplift: statVersion.conversion?.uplift } : undefined,
          estimate: est?.size,
          criteriaEstimates: est?.criteria,
          estimateStale: dirty && !drafted?.has(p.id),
          problems: problemsByStep.get(p.id) ?? [],
          selected: selected === p.id,
          editable: true,
          outputNames,
          toggling,
          onSelect: (sid: string) => { setSelected(sid); if (panel === "stats") setFunnelStep(sid); else setPanel("step"); },
          onAdd: (parent: string, kind: AddKind) => edit((j) => {
            const s = newStep(j, kind);
            setSelected(s.id);
            setPanel("step");
            return addChild(j, parent, s);
          }),
          onSplit: (sid: string, kind: SplitKind) => edit((j) => split(j, sid, kind)),
          onToggle: toggle,
        },
      };
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft, placed, problemsByStep, stats.data, shownVersion, v, selected, outputNames, toggling, dirty, estimates, panel]);

  const edges: Edge[] = useMemo(() => {
    if (!draft) return [];
    return walk(draft).filter((l) => l.parent).map((l) => ({
      id: `${l.parent!.id}->${l.step.id}`,
      source: l.parent!.id,
      target: l.step.id,
      type: "smoothstep",
      style: { stroke: l.step.id && "type" in l.step && l.step.type === "remaining" ? "#9ca3af" : "#6366f1" },
    }));
  }, [draft]);

  // Show the tree from its top, as large as fits but never so small that cards cannot be
  // read (a tall tree is then scrolled by dragging); the Fit control shows all of it.
  const canvasRef = useRef<HTMLDivElement>(null);
  const nodeCount = placed.length;
  useEffect(() => {
    const t = setTimeout(() => {
      const el = canvasRef.current;
      if (!el || placed.length === 0) return;
      const minX = Math.min(...placed.map((n) => n.x));
      const maxX = Math.max(...placed.map((n) => n.x)) + NODE_WIDTH;
      const minY = Math.min(...placed.map((n) => n.y));
      const maxY = Math.max(...placed.map((n) => n.y + n.height));
      const zoom = Math.min(1, Math.max(0.8, Math.min(el.clientWidth / (maxX - minX + 60), el.clientHeight / (maxY - minY + 60))));
      void flow.setViewport({ x: (el.clientWidth - (maxX - minX) * zoom) / 2 - minX * zoom, y: 24 - minY * zoom, zoom });
    }, 50);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [nodeCount, flow]);

  // A step chosen or added out of sight (a new step at the bottom of a tall tree) is brought
  // into view, at the same zoom.
  const revealed = useRef<string | null>(null);
  useEffect(() => {
    const el = canvasRef.current;
    const n = placed.find((p) => p.id === selected);
    if (!el || !n || revealed.current === selected) return;
    revealed.current = selected;
    const { x, y, zoom } = flow.getViewport();
    const left = n.x * zoom + x;
    const top = n.y * zoom + y;
    const right = left + NODE_WIDTH * zoom;
    const bottom = top + (n.height + 40) * zoom;
    const [w, h] = [el.clientWidth, el.clientHeight];
    if (left >= 0 && top >= 0 && right <= w && bottom <= h) return;
    const nx = left < 0 || right > w ? x + (w / 2 - (left + right) / 2) : x;
    const ny = top < 0 || bottom > h ? y + (h / 3 - top) : y;
    void flow.setViewport({ x: nx, y: ny, zoom });
  }, [selected, placed, flow]);

  if (view.isLoading) return <Loading what="the journey" />;
  if (view.error) {
    return (
      <div className="page">
        <ErrorBox error={view.error} title={`Could not load journey ${id}`} />
        <Link to="/journeys">Back to the journeys</Link>
      </div>
    );
  }
  if (!draft || !v) return null;

  const stepCount = countSteps(draft);
  const sel = selected ? findStep(draft, selected) : undefined;

  /** Runs a lifecycle action, showing its error next to the toolbar. */
  const act = async (name: string, f: () => Promise<void>) => {
    setBusy(name);
    setActionError(null);
    setNotice(null);
    try {
      await f();
    } catch (x) {
      setActionError(x);
      if (x instanceof ApiError && x.problems.length) setProblems(x.problems);
    } finally {
      setBusy(null);
    }
  };

  const save = () => act("save", async () => {
    const before = v;
    const next = await call<JourneyView, "patch">("patch", "/api/journeys/{id}", { params: { id }, body: draft });
    setProblems(next.problems ?? []);
    qc.setQueryData(["journey", id], next);
    setDirty(false);
    void qc.invalidateQueries({ queryKey: ["estimate", id] });
    if (before.status === "published" && next.version > before.version && (next.latest_status ?? next.status) === "draft") {
      setNotice(`Saved as draft version ${next.version}. ${PUBLISHED_RULE}`);
    } else {
      setNotice(next.problems?.length ? "Saved; the problems below must be fixed before publishing."
        : before.status === "published" && next.version === before.version
          ? `Saved. No problems found. The live version ${next.version} took the change at once (a published journey allows changes to names, connections and leaf steps).`
          : "Saved. No problems found.");
    }
    await qc.invalidateQueries({ queryKey: ["journeys"] });
  });

  const publish = () => act("publish", async () => {
    if (dirty) await call("patch", "/api/journeys/{id}", { params: { id }, body: draft });
    const next = await call<JourneyView, "post">("post", "/api/journeys/{id}/publish", { params: { id }, body: {} });
    qc.setQueryData(["journey", id], next);
    setDirty(false);
    setProblems([]);
    setStatsVersion(null);
    setNotice(`Published version ${next.version}.`);
    await Promise.all([["journeys"], ["account"], ["stats", id], ["estimate", id]].map((k) => qc.invalidateQueries({ queryKey: k })));
  });

  const stop = () => act("stop", async () => {
    if (!window.confirm("Stop this journey? Every user leaves it and exits are delivered. A stopped journey cannot be published again.")) return;
    const next = await call<JourneyView, "post">("post", "/api/journeys/{id}/stop", { params: { id } });
    qc.setQueryData(["journey", id], next);
    setNotice("Stopped.");
    await qc.invalidateQueries({ queryKey: ["journeys"] });
  });

  const clone = () => act("clone", async () => {
    const newId = window.prompt("Id of the copy", `${id}-copy`);
    if (!newId) return;
    const next = await call<JourneyView, "post">("post", "/api/journeys/{id}/clone", { params: { id }, body: { id: newId } });
    await qc.invalidateQueries({ queryKey: ["journeys"] });
    nav(`/journeys/${encodeURIComponent(next.id)}`);
  });

  const newVersion = () => act("version", async () => {
    const next = await call<JourneyView, "post">("post", "/api/journeys/{id}/versions", { params: { id } });
    qc.setQueryData(["journey", id], next);
    setDirty(false);
    setNotice(`Draft version ${next.version} created: edit it freely, then publish it.`);
  });

  const del = () => act("delete", async () => {
    if (!window.confirm(`Delete journey ${id}? ${DELETE_RULE}`)) return;
    await call("delete", "/api/journeys/{id}", { params: { id } });
    await qc.invalidateQueries({ queryKey: ["journeys"] });
    nav("/journeys");
  });

  const nameErr = draft.name.length > LIMITS.journeyName ? `At most ${LIMITS.journeyName} characters` : null;
  const tooMany = stepCount > LIMITS.steps;

  return (
    <div className="editor">
      <div className="toolbar" role="toolbar" aria-label="Journey actions">
        <div className="title">
          <input aria-label="Journey name" className="title-input" value={draft.name} onChange={(e) => edit((j) => ({ ...j, name: e.target.value }))} aria-invalid={nameErr ? true : undefined} />
          <Counter n={draft.name.length} max={LIMITS.journeyName} />
          <span className={`badge st-${latestStatus}`} data-testid="journey-status">{latestStatus}</span>
          <span className="muted">v{v.version}</span>
          <span className={`muted ${tooMany ? "error-text" : ""}`} title="steps as Segment counts them">{stepCount}/{LIMITS.steps} steps</span>
          {dirty && <span className="badge unsaved">unsaved</span>}
        </div>
        <div className="actions">
          <button type="button" onClick={save} disabled={!!busy || !dirty || local.length > 0}>{busy === "save" ? "Saving…" : "Save draft"}</button>
          <button type="button" onClick={save} disabled={!!busy || local.length > 0} title="Save and show every problem the server finds">Validate</button>
          <button type="button" className="primary" onClick={publish} disabled={!!busy || latestStatus === "stopped" || (latestStatus === "published" && !dirty) || local.length > 0}>
            {busy === "publish" ? "Publishing…" : "Publish"}
          </button>
          <button type="button" onClick={stop} disabled={!!busy || v.status !== "published"}>Stop</button>
          <button type="button" onClick={clone} disabled={!!busy}>Clone</button>
          <button type="button" onClick={newVersion} disabled={!!busy || latestStatus === "draft"} title="A draft copy of the latest version">New version</button>
          <button type="button" className="danger" onClick={del} disabled={!!busy} title={DELETE_RULE}>Delete</button>
        </div>
      </div>
      {local.length > 0 && (
        <div className="problems" role="alert" aria-label="Fix before saving">
          <strong>Fix before saving:</strong>
          <ul>{local.map((p, i) => <li key={i}>{p.step ? <><code>{p.step}</code> </> : null}{p.message}</li>)}</ul>
        </div>
      )}
      {v.backfill?.state === "running" && (
        <div className="note" role="status">
          Historical backfill: {v.backfill.processed.toLocaleString()} / {v.backfill.total.toLocaleString()} events
          <progress value={v.backfill.processed} max={Math.max(1, v.backfill.total)} aria-label="Backfill progress" />
        </div>
      )}
      {latestStatus !== "draft" && <p className="note small">{latestStatus === "published" ? PUBLISHED_RULE : "This journey is stopped: clone it or make a new version to run it again."}</p>}
      {notice && <div className="notice" role="status">{notice}</div>}
      {/* An invalid journey's problems are listed below and on their steps, not twice. */}
      {!(actionError instanceof ApiError && actionError.problems.length > 0) && <ErrorBox error={actionError} title="The server refused" />}
      {problems.length > 0 && (
        <div className="problems" role="alert" aria-label="Problems">
          <strong>{problems.length} problem{problems.length > 1 ? "s" : ""}</strong> at the last validation (also shown on the steps):
          <ul>{problems.map((p, i) => <li key={i}><code>{p.path}</code> {p.message} <span className="muted">[{p.code}]</span></li>)}</ul>
        </div>
      )}
      <div className="workspace">
        <div className="canvas" aria-label="Journey canvas" ref={canvasRef}>
          <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} nodesConnectable={false} nodesDraggable={false}
            elementsSelectable={false} onNodeClick={(_, n) => { setSelected(n.id); if (panel === "stats") setFunnelStep(n.id); else setPanel("step"); }} minZoom={0.2} maxZoom={1.5} proOptions={{ hideAttribution: true }}>
            <Background gap={20} color="#e5e7eb" />
            <Controls showInteractive={false} />
          </ReactFlow>
        </div>
        <div className="side">
          <div className="tabs" role="tablist" aria-label="Panels">
            {(["step", "settings", "stats", "versions", "simulate"] as Panel[]).map((p) => (
              <button key={p} type="button" role="tab" aria-selected={panel === p} onClick={() => setPanel(p)}>
                {p === "step" ? "Step" : p === "stats" ? "Statistics" : p[0]!.toUpperCase() + p.slice(1)}
              </button>
            ))}
          </div>
          {panel === "step" && (sel ? (
            <StepPanel key={sel.step.id} journey={draft} step={sel.step} stepKey={v.keys[sel.step.id]} ctx={ctx} outputs={outputs.data?.outputs ?? []}
              editable estimate={estimates.get(sel.step.id)} dirty={dirty && !drafted?.has(sel.step.id)}
              liveNote={latestStatus === "published" ? "Edits other than connections, names and leaf steps will be saved as a new draft version." : undefined}
              onChange={(s: AnyStep) => edit((j) => updateStep(j, sel.step.id, () => s))}
              onRemove={() => { edit((j) => removeStep(j, sel.step.id)); setSelected(sel.parent?.id ?? "entry"); }} />
          ) : <Empty>Select a step on the canvas.</Empty>)}
          {panel === "settings" && <SettingsPanel journey={draft} ctx={ctx} editable available={allInputs.data ?? []} onChange={(j) => edit(() => j)} />}
          {panel === "stats" && <StatsPanel journey={draft} stats={stats.data} version={shownVersion} pickedStep={funnelStep} outputNames={outputNames} />}
          {panel === "versions" && (
            <aside className="panel" aria-label="Versions">
              <h2>Versions</h2>
              <p className="muted small">Choose a version to see its statistics on the canvas. The canvas shows the latest version's definition.</p>
              <ul className="plain-list">
                {[...v.versions].reverse().map((x) => (
                  <li key={x.version}>
                    <button type="button" className={`version ${shownVersion === x.version ? "current" : ""}`} aria-pressed={shownVersion === x.version} onClick={() => setStatsVersion(x.version)}>
                      v{x.version}{" "}
                      <span className={`badge st-${x.version === liveVersion ? "published" : x.status === "published" ? "finishing" : x.status}`}>
                        {x.version === liveVersion ? "live" : x.status === "published" ? "finishing: no new entrants" : x.status}
                      </span>
                      {x.published_at && <span className="muted small"> published {new Date(x.published_at).toLocaleString()}</span>}
                    </button>
                  </li>
                ))}
              </ul>
            </aside>
          )}
          {panel === "simulate" && <SimulatePanel id={id} journey={draft} dirty={dirty} />}
        </div>
      </div>
    </div>
  );
}

interface TraceLine { at: string; user: string; kind: string; step?: string; change?: string }

/** A dry run of the saved journey over stored history (SPEC §12): who would enter which step. */
function SimulatePanel({ id, journey, dirty }: { id: string; journey: Journey; dirty: boolean }) {
  const [trace, setTrace] = useState<TraceLine[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setErr(null);
    try {
      // Up to now, so that waits that ended since the last event are counted.
      const r = await call<{ trace: TraceLine[] }, "post">("post", "/api/journeys/{id}/simulate", { params: { id }, body: { until: new Date().toISOString() } });
      setTrace(r.trace);
    } catch (x) {
      setErr(x);
    } finally {
      setBusy(false);
    }
  };
  const names = Object.fromEntries(walk(journey).map((l) => [l.step.id, l.step.name]));
  const perStep = new Map<string, Set<string>>();
  for (const t of trace ?? []) {
    if (t.kind === "step" && t.change === "entered" && t.step) {
      if (!perStep.has(t.step)) perStep.set(t.step, new Set());
      perStep.get(t.step)!.add(t.user);
    }
  }
  return (
    <aside className="panel" aria-label="Simulate">
      <h2>Simulate</h2>
      <p className="muted small">Runs the saved journey over the stored history without sending anything, and shows who would enter each step.{dirty ? " Save first to simulate your latest edits." : ""}</p>
      <button type="button" onClick={run} disabled={busy}>{busy ? "Simulating…" : "Simulate over stored history"}</button>
      <ErrorBox error={err} title="The simulation failed" />
      {trace && (
        <>
          <table className="table compact" aria-label="Simulated entries per step">
            <thead><tr><th>Step</th><th className="num">Would enter</th><th>Who</th></tr></thead>
            <tbody>
              {walk(journey).map(({ step }) => {
                const users = [...(perStep.get(step.id) ?? [])];
                return (
                  <tr key={step.id}>
                    <td>{names[step.id]}</td>
                    <td className="num">{users.length.toLocaleString()}</td>
                    <td className="small">
                      {users.slice(0, 3).map((u, i) => <span key={u}>{i > 0 && ", "}<Link to={`/profiles?id=${encodeURIComponent(u)}`} title={`Open the profile of ${u}`}>{u}</Link></span>)}
                      {users.length > 3 && <span className="muted"> and {(users.length - 3).toLocaleString()} more</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="muted small">{trace.length.toLocaleString()} membership changes in the trace.</p>
        </>
      )}
    </aside>
  );
}
