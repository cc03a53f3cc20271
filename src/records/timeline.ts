// The timeline's queries are in timeline-store.ts. privacy/coverage.ts still imports
// timelineBodySql from here; this path stays until it imports the store.
export { timelineBodySql, recordOnTimeline, type TimelineEntry } from './timeline-store.ts';
