// A bench power back-end: how one kind of relay or PDU turns a board on and off.
export interface PowerBackend {
  on(): Promise<void>;
  off(): Promise<void>;
  /** For messages: which relay or outlet this is. */
  readonly description: string;
}
