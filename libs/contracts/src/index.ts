export * from './subjects';
export * from './headers';
export * from './frame-meta';
export * from './gateway-error';
export * from './usage-recorded.event';
export * from './key-changed.event';
export * from './money';
export * from './health-report';
