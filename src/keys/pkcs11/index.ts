/** PKCS#11 adapter of the keys capability (the only place that touches `pkcs11js`). */
export { createPkcs11Backend, type Pkcs11BackendOptions } from './pkcs11-backend.js';
