/** A state machine as "from → allowed next states", queried in either direction. */
export interface TransitionTable<S extends string> {
  /** The states that may move to `next`: the `status IN (...)` of a guarded UPDATE. */
  allowedFrom(next: S): readonly S[];
  canTransition(from: S, to: S): boolean;
}

export function transitionTable<S extends string>(next: Readonly<Record<S, readonly S[]>>): TransitionTable<S> {
  const states = Object.keys(next) as S[];
  const previous = new Map<S, S[]>(states.map((state) => [state, []]));
  for (const from of states) for (const to of next[from]) previous.get(to)!.push(from);
  return {
    allowedFrom: (to) => previous.get(to) ?? [],
    canTransition: (from, to) => next[from]?.includes(to) ?? false,
  };
}
