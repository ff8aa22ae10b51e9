/**
 * The record's closed vocabularies, apart from the event model so that its TypeBox source
 * (lambda/core/event-schema.ts) needs nothing that is generated from it; lambda/core/event-model.ts re-exports them.
 */
export const EVENT_CATEGORIES = ['Management', 'Data', 'Insight'] as const;
export const PRODUCER_EVENT_CATEGORIES = ['Management', 'Data'] as const;
export const EVENT_TYPES = ['ApiCall', 'ConsoleAction', 'ConsoleSignIn', 'ServiceEvent', 'Insight'] as const;
export const PRODUCER_EVENT_TYPES = ['ApiCall', 'ConsoleAction', 'ConsoleSignIn', 'ServiceEvent'] as const;
export const CLIENT_TYPES = ['console', 'sdk', 'cli', 'service', 'other'] as const;

export type EventCategory = (typeof EVENT_CATEGORIES)[number];
export type EventType = (typeof EVENT_TYPES)[number];
export type ClientType = (typeof CLIENT_TYPES)[number];
