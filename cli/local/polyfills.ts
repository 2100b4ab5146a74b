/**
 * Node 20 lacks `Promise.withResolvers` (ES2024). aws-local-stepfunctions 3.0.0 calls it in
 * every Task state, and without it the TypeError is silently routed into the state's Catch as
 * `States.ALL` — every run would "fail" in its first step with the wrong error. Install this
 * before running any state machine.
 */

export interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type WithResolvers = <T>() => Resolvers<T>;

/** The ES2024 semantics: a pending promise and the two functions that settle it. */
export function withResolvers<T>(): Resolvers<T> {
  let resolve!: Resolvers<T>["resolve"];
  let reject!: Resolvers<T>["reject"];
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Defines `withResolvers` on `target` (the global `Promise` by default) unless it already has
 * one; returns whether it installed it. Non-enumerable and writable, like the native method.
 */
export function installPromiseWithResolvers(
  target: { withResolvers?: WithResolvers } = Promise as unknown as {
    withResolvers?: WithResolvers;
  },
): boolean {
  if (typeof target.withResolvers === "function") return false;
  Object.defineProperty(target, "withResolvers", {
    value: withResolvers,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return true;
}
