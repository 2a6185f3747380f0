"""The task assignor of streams groups: sticky and balanced, like Kafka's default ("sticky").

Active tasks are spread evenly over the members (counts differing by one at most); a member keeps
the active tasks it had, as far as its fair share allows, so that state stays where it is. Then
each task gets ``num_standby`` standby replicas, on members of *other* processes (a standby in
the same process as its active task protects nothing), sticky too and the least loaded first;
a task gets fewer standbys when there are not enough other processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .streams_group import TaskSets

Task = tuple[str, int]


@dataclass(frozen=True)
class MemberSpec:
    process_id: str
    previous: TaskSets  # its last target, kept where fair


def assign(tasks: dict[str, int], members: dict[str, MemberSpec], num_standby: int) -> dict[str, TaskSets]:
    if not members:
        return {}
    all_tasks = sorted((s, p) for s, n in tasks.items() for p in range(n))
    ids = sorted(members)
    active: dict[str, set[Task]] = {m: set() for m in ids}
    owner: dict[Task, str] = {}
    quota, extra = divmod(len(all_tasks), len(ids))
    # members keeping most tasks get the larger shares
    caps_sorted = sorted(ids, key=lambda m: -_count(members[m].previous.active))
    caps = {m: quota + (1 if i < extra else 0) for i, m in enumerate(caps_sorted)}
    valid = set(all_tasks)
    for m in ids:
        for task in sorted(_tasks(members[m].previous.active)):
            if task in valid and task not in owner and len(active[m]) < caps[m]:
                active[m].add(task)
                owner[task] = m
    for task in all_tasks:
        if task not in owner:
            m = min(ids, key=lambda x: (len(active[x]) - caps[x], len(active[x]), x))
            active[m].add(task)
            owner[task] = m

    standby: dict[str, set[Task]] = {m: set() for m in ids}
    if num_standby > 0:
        for task in all_tasks:
            processes = {members[owner[task]].process_id}
            for _ in range(num_standby):
                candidates = [m for m in ids if members[m].process_id not in processes]
                if not candidates:
                    break
                sticky = [m for m in candidates if task in _tasks(members[m].previous.standby)]
                pick = min(sticky or candidates, key=lambda x: (len(active[x]) + len(standby[x]), x))
                standby[pick].add(task)
                processes.add(members[pick].process_id)
    return {m: TaskSets(_grouped(active[m]), _grouped(standby[m]), {}) for m in ids}


def _tasks(by_subtopology: dict[str, frozenset[int]]) -> set[Task]:
    return {(s, p) for s, parts in by_subtopology.items() for p in parts}


def _count(by_subtopology: dict[str, frozenset[int]]) -> int:
    return sum(len(p) for p in by_subtopology.values())


def _grouped(tasks: set[Task]) -> dict[str, frozenset[int]]:
    grouped: dict[str, set[int]] = {}
    for s, p in tasks:
        grouped.setdefault(s, set()).add(p)
    return {s: frozenset(p) for s, p in sorted(grouped.items())}
