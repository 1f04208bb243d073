/** The one typed configuration object: defaults, file, environment, flags. */
export type { Config, DatabaseConfig, KeyBackendConfig, LimitsConfig, PortConfig } from './config.types.js';
export { loadConfig, ConfigError, DEFAULTS, ENVIRONMENT_VARIABLES, type ConfigInput } from './load-config.js';
