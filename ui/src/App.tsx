import { useEffect, useState } from "react";
import { NavLink, Navigate, Route, Routes } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { token } from "./api/client";
import { SignIn } from "./pages/SignIn";
import { JourneysList } from "./pages/JourneysList";
import { JourneyEditor } from "./pages/JourneyEditor";
import { Outputs } from "./pages/Outputs";
import { Profiles } from "./pages/Profiles";
import { Audiences } from "./pages/Audiences";
import { Attributes } from "./pages/Attributes";

export function App() {
  const [signedIn, setSignedIn] = useState(() => token.get() !== null);
  const qc = useQueryClient();
  useEffect(() => {
    // A 401 anywhere (token revoked, server restarted with other tokens) asks to sign in again.
    const out = () => {
      token.clear();
      setSignedIn(false);
    };
    window.addEventListener("waymark:unauthorized", out);
    return () => window.removeEventListener("waymark:unauthorized", out);
  }, []);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand" aria-label="Waymark">◆ Waymark</span>
        <nav aria-label="Main">
          <NavLink to="/journeys">Journeys</NavLink>
          <NavLink to="/audiences">Audiences</NavLink>
          <NavLink to="/attributes">Attributes</NavLink>
          <NavLink to="/outputs">Outputs</NavLink>
          <NavLink to="/profiles">Profiles</NavLink>
        </nav>
        <button type="button" className="ghost" onClick={() => { token.clear(); qc.clear(); setSignedIn(false); }}>
          Sign out
        </button>
      </header>
      <main className="content">
        <Routes>
          <Route path="/" element={<Navigate to="/journeys" replace />} />
          <Route path="/journeys" element={<JourneysList />} />
          <Route path="/journeys/new" element={<JourneyEditor key="new" id={null} />} />
          <Route path="/journeys/:id" element={<JourneyEditor />} />
          <Route path="/audiences" element={<Audiences />} />
          <Route path="/audiences/:id" element={<Audiences />} />
          <Route path="/attributes" element={<Attributes />} />
          <Route path="/outputs" element={<Outputs />} />
          <Route path="/profiles" element={<Profiles />} />
          <Route path="*" element={<p>There is no such page. <NavLink to="/journeys">Go to the journeys</NavLink>.</p>} />
        </Routes>
      </main>
    </div>
  );
}
