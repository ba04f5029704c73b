import { Empty } from "../components/common";

/**
 * Standalone audiences and computed attributes (SPEC §5, §6) have no API in this server yet,
 * so the page explains that instead of failing: the OpenAPI types would break the build the
 * moment the UI called endpoints the server does not have.
 */
export function Audiences() {
  return (
    <div className="page">
      <h1>Audiences and computed attributes</h1>
      <Empty>
        <p>This Waymark does not serve standalone audiences or computed attributes yet (<code>/api/audiences</code> and <code>/api/workspaces/&#123;ws&#125;/attributes</code> are not in its API).</p>
        <p>Meanwhile every journey step is an audience: open a journey, pick a step, and connect it to an output or download its members as CSV from the Statistics panel. Criteria can already refer to a step with <em>Member of → a journey step</em>.</p>
      </Empty>
    </div>
  );
}
