/**
 * Silences the AWS SDK's 9-line `NodeVersionSupportWarning` (printed once per process on Node < 22).
 * This project supports and tests Node 20 (package.json `engines`), so the warning only adds noise to
 * every CLI command and test run. Import this module (for its side effect) before constructing any
 * `@aws-sdk/*` client; the SDK reads the variable when a client is created. A value the user set is kept.
 */
const VARIABLE = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
if (process.env[VARIABLE] === undefined) process.env[VARIABLE] = 'true';

export const NODE_VERSION_WARNING_VARIABLE = VARIABLE;
