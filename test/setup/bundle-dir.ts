/** The temp directories global-setup.ts creates for a run's workflow bundle (and teardown deletes). */
export const BUNDLE_DIR_PREFIX = 'fupin-workflow-bundle-';
