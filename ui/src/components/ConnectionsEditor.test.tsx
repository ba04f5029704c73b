import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionsEditor } from "./ConnectionsEditor";
import type { Connection, Output } from "../journey/model";

afterEach(cleanup);

const outputs: Output[] = [
  { id: "hook", kind: "webhook", disabled: false },
  { id: "vip", name: "VIP list", kind: "list", disabled: false },
];

function Harness({ seen }: { seen: { value: Connection[] } }) {
  const [c, setC] = useState<Connection[]>([]);
  return <ConnectionsEditor owner="vips" connections={c} outputs={outputs} onChange={(x) => { setC(x); seen.value = x; }} />;
}

describe("the connection editor", () => {
  it("adds a connection named after its owner and output; a list output takes a list", () => {
    const seen = { value: [] as Connection[] };
    render(<Harness seen={seen} />);
    fireEvent.click(screen.getByText("+ add a connection"));
    expect(seen.value).toEqual([{ id: "vips-hook", output: "hook", active: true, mode: "event" }]);
    fireEvent.change(screen.getByLabelText("Connection 1 output"), { target: { value: "vip" } });
    expect(seen.value).toEqual([{ id: "vips-vip", output: "vip", active: true, mode: "list" }]);
    fireEvent.change(screen.getByLabelText("Connection 1 output"), { target: { value: "hook" } });
    expect(seen.value[0]!.mode).toBe("event");
    fireEvent.click(screen.getByLabelText("active"));
    expect(seen.value[0]!.active).toBe(false);
    fireEvent.click(screen.getByLabelText("Remove connection vips-hook"));
    expect(seen.value).toEqual([]);
  });
});
