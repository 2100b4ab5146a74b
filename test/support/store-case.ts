/** One row of a behaviour table shared by the implementations of a storage interface. */
export interface StoreCase<S> {
  name: string;
  run(store: S): Promise<void>;
}
