// Standalone audiences (SPEC §6): the list with each one's size and status, creating one
// with the criteria builder, and (at /audiences/:id) one audience with its members.
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { call } from "../api/client";
import { Empty, ErrorBox, Loading } from "../components/common";
import { ownerLabel } from "../journey/model";
import { AudienceDetail } from "../audiences/AudienceDetail";
import { AudienceForm } from "../audiences/AudienceForm";
import { blankAudience, type AudienceDefinition, type AudienceView } from "../audiences/model";
import { useAudiences } from "../audiences/useBuilderContext";

export function Audiences() {
  const { id } = useParams();
  return id ? <AudienceDetail key={id} id={id} /> : <AudienceList />;
}

function AudienceList() {
  const q = useAudiences();
  const qc = useQueryClient();
  const nav = useNavigate();
  const [creating, setCreating] = useState(false);
  const list = q.data?.audiences ?? [];
  const create = async (d: AudienceDefinition) => {
    const made = await call<AudienceView, "post">("post", "/api/audiences", { body: d });
    await qc.invalidateQueries({ queryKey: ["audiences"] });
    nav(`/audiences/${encodeURIComponent(made.id)}`);
  };
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Audiences</h1>
          <p className="muted">An audience is everyone for whom its criteria hold now: users join and leave as they act and as time passes. Connect it to outputs, or use it in journeys' criteria with <em>Member of → an audience</em>.</p>
        </div>
        {!creating && <button type="button" className="primary" onClick={() => setCreating(true)}>New audience</button>}
      </div>
      {creating && <AudienceForm initial={blankAudience()} isNew onSave={create} onCancel={() => setCreating(false)} />}
      <ErrorBox error={q.error} title="Could not load the audiences" />
      {q.isLoading && <Loading what="audiences" />}
      {q.data && list.length === 0 && !creating && (
        <Empty>No audiences yet. Press <strong>New audience</strong>, give it a name and say who belongs in it.</Empty>
      )}
      {list.length > 0 && (
        <table className="table" aria-label="Audiences">
          <thead><tr><th>Audience</th><th className="num">Members</th><th>Status</th><th>Owner</th><th className="num">Connections</th></tr></thead>
          <tbody>
            {list.map((a) => (
              <tr key={a.id}>
                <td><Link to={`/audiences/${encodeURIComponent(a.id)}`}>{a.name}</Link><div className="muted small">{a.id}{a.description ? ` · ${a.description}` : ""}</div></td>
                <td className="num" data-testid={`size-${a.id}`}>{a.size.toLocaleString()}</td>
                <td><span className={`badge aud-${a.status}`}>{a.status}</span></td>
                <td className="small">{ownerLabel(a.owner) || "—"}</td>
                <td className="num">{a.connections?.length ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
