/** Events and audit: job status change events (EventBridge shape) to sinks, and the CloudTrail-shaped audit trail. */
export { AuditTrail, type AuditInput } from './audit-trail.js';
export { jobStatusEvents, type JobStatusEvent } from './job-status-event.js';
export { WebhookSink, MqttSink, webhookSignature, WEBHOOK_SIGNATURE_HEADER, type EventSink } from './event-sinks.js';
