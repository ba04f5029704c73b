"""Recomputes every interval of a journey's statistics with statsmodels.

Reads the answer of `GET /api/journeys/{id}/stats` on standard input. For every version,
checks each rate (goals over entries: the Wilson score interval at 95 %) and each uplift
(a rate minus control's: Newcombe's hybrid score interval at 95 %, and the ratio) against
statsmodels, from the counts the answer gives. Prints how many figures it checked; exits 1
with the differences when any figure is off by more than 1e-9, or when nothing was checked.
"""

import json
import sys

from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

TOLERANCE = 1e-9


def main() -> int:
    stats = json.load(sys.stdin)
    problems = []
    checked = 0

    def near(what, got, want):
        nonlocal checked
        checked += 1
        if got is None or abs(got - want) > TOLERANCE:
            problems.append(f"{what}: got {got}, statsmodels {want}")

    def rate(what, figure, goals, entries):
        if entries == 0:
            if figure is not None:
                problems.append(f"{what}: a rate without entries: {figure}")
            return
        low, high = proportion_confint(goals, entries, alpha=0.05, method="wilson")
        near(f"{what} rate", figure["rate"], goals / entries)
        near(f"{what} low", figure["low"], low)
        near(f"{what} high", figure["high"], high)

    def uplift(what, figure, goals, entries, control):
        if entries == 0 or control["entries"] == 0:
            if figure is not None:
                problems.append(f"{what}: an uplift without entries: {figure}")
            return
        k2, n2 = control["goals"], control["entries"]
        low, high = confint_proportions_2indep(
            goals, entries, k2, n2, method="newcomb", compare="diff", alpha=0.05
        )
        near(f"{what} difference", figure["difference"], goals / entries - k2 / n2)
        near(f"{what} low", figure["low"], low)
        near(f"{what} high", figure["high"], high)
        if k2 > 0:
            near(f"{what} ratio", figure["ratio"], (goals / entries) / (k2 / n2))
        elif figure["ratio"] is not None:
            problems.append(f"{what}: a ratio against a control rate of 0")

    for version in stats["versions"]:
        conversion = version["conversion"]
        control = conversion["control"]
        name = f"v{version['version']}"
        for arm in ("journey", "control"):
            a = conversion[arm]
            rate(f"{name} {arm}", a["rate"], a["goals"], a["entries"])
        j = conversion["journey"]
        uplift(f"{name} journey", conversion["uplift"], j["goals"], j["entries"], control)
        for step in version["steps"]:
            what = f"{name} step {step['step']}"
            rate(what, step["goal_rate"], step["goals"], step["entered"])
            uplift(what, step["uplift"], step["goals"], step["entered"], control)

    if problems:
        print("\n".join(problems))
        return 1
    if checked == 0:
        print("nothing to check")
        return 1
    print(f"checked {checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
