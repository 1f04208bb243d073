/** Events and audit: the CloudTrail-shaped audit trail of every API call. */
export { AuditTrail, type AuditInput } from './audit-trail.js';
