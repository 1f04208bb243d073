/**
 * Import rules of the house (docs/architecture.md), checked in CI by `npm run deps:check`:
 * no cycles; the device side never imports the server side; platforms never import src/.
 */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'device-side-is-standalone',
      comment: 'firmware-verifier/ and simulator/ are device code: nothing from src/ or platforms/.',
      severity: 'error',
      from: { path: '^(firmware-verifier|simulator)/' },
      to: { path: '^(src|platforms)/' },
    },
    {
      name: 'verifier-is-pure',
      comment: 'firmware-verifier/ runs in a browser or on a device: no node: built-ins, no simulator (tests excepted).',
      severity: 'error',
      from: { path: '^firmware-verifier/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'verifier-not-simulator',
      severity: 'error',
      from: { path: '^firmware-verifier/' },
      to: { path: '^simulator/' },
    },
    {
      name: 'server-imports-only-the-ota-wire-format-from-simulator',
      comment: 'src/ may use simulator/ota-wire/ (both ends of the OTA protocol share one codec, docs/ota.md) and nothing else from simulator/; the CLI\'s actions (src/cli/actions/) are the exception: `signer simulate …` runs simulated boards and devices.',
      severity: 'error',
      from: { path: '^src/', pathNot: '(\\.test\\.ts$|^src/cli/actions/)' },
      to: { path: '^simulator/', pathNot: '^simulator/ota-wire/' },
    },
    {
      name: 'ota-wire-is-pure',
      comment: 'simulator/ota-wire/ is a wire codec: no node: built-ins, no other simulator code (tests excepted).',
      severity: 'error',
      from: { path: '^simulator/ota-wire/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'platforms-do-not-import-server',
      comment: 'A platform gets its key through the SigningKey interface, never from src/.',
      severity: 'error',
      from: { path: '^platforms/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'server-does-not-import-tests',
      severity: 'error',
      from: { path: '^(src|platforms|firmware-verifier|simulator)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
