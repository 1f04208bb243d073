/** The signing engine: durable job queue, workers, key resolution, signed-object writes. */
export { JobRunner, type JobRunnerDeps, type JobEventSink } from './job-runner.js';
