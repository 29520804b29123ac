// What every scenario works with: the board (through its strategy), the run's registry and the card
// images of releases for the board's device type. Suites build it from their fixtures (the `scenario`
// fixture), `hupbench run` from its own rig and registry.
import type { BoardStrategy } from '../board/strategy.ts';
import type { ReleasePublisher } from './publisher.ts';

export interface ScenarioContext {
  board: BoardStrategy;
  registry: ReleasePublisher;
  /** The card image of a release for the board's device type, built if missing. */
  imageFor: (version: string) => Promise<{ path: string }>;
}
