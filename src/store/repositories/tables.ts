/**
 * The fixed column lists of the tables the repositories insert into or update through `rows.ts`
 * (camelCase field names; the column is the snake_case form). These lists, not a record's keys, are
 * what SQL is built from. A test checks them against the migrated schema.
 */
export interface TableSpec {
  readonly name: string;
  /** Every column an insert may write. */
  readonly columns: readonly string[];
  /** The columns an update may change (never the id or who created the row and when). */
  readonly updatable: readonly string[];
}

const spec = (name: string, columns: readonly string[], fixed: readonly string[] = []): TableSpec => ({
  name,
  columns,
  updatable: columns.filter((c) => c !== 'id' && !fixed.includes(c)),
});

export const TABLES = {
  users: spec('users', ['id', 'username', 'displayName', 'passwordHash', 'roles', 'rank', 'disabled', 'createdAt', 'createdBy'], ['username', 'createdAt', 'createdBy']),
  sessions: spec('sessions', ['tokenHash', 'userId', 'createdAt', 'expiresAt', 'revokedAt']),
  deployments: spec(
    'deployments',
    [
      'id', 'name', 'purpose', 'useCase', 'locations', 'cameras', 'startsAt', 'endsAt', 'threshold', 'dpiaRef', 'policyRefs', 'state', 'createdBy', 'createdAt',
      'updatedAt', 'editors', 'publicNoticeBy', 'publicNoticeAt', 'publicNoticeNote', 'requestedBy', 'requestedAt', 'authorisedBy', 'authorisedAt', 'authorityNote', 'liveBy',
      'liveAt', 'engineId', 'floor', 'floorSource', 'closedBy', 'closedAt', 'closeReason', 'watchlistFrozenAt', 'watchlistDestroyedAt',
    ],
    ['createdBy', 'createdAt'],
  ),
  watchlistEntries: spec('watchlist_entries', [
    'id', 'deploymentId', 'subjectRef', 'category', 'reason', 'grounds', 'legalBasis', 'imageSource', 'captureDate', 'under18', 'riskRationale', 'quality',
    'enrolledBy', 'enrolledAt', 'reviewedBy', 'reviewedAt', 'destroyedAt', 'referenceCheck',
  ]),
  calibrations: spec('calibrations', ['id', 'engineId', 'datasetFingerprint', 'createdAt', 'threshold', 'figures']),
  alerts: spec(
    'alerts',
    [
      'id', 'deploymentId', 'camera', 'trackId', 'entryId', 'subjectRef', 'category', 'priority', 'score', 'threshold', 'videoTimeSec', 'shotsFused', 'createdAt',
      'status', 'operatorId', 'operatorDecision', 'operatorNote', 'operatorAt', 'outcome', 'outcomeBy', 'outcomeNote', 'outcomeAt', 'biometricsDeletedAt',
    ],
    ['deploymentId', 'entryId', 'subjectRef', 'createdAt'],
  ),
  alertCaseExports: spec('alert_case_exports', ['alertId', 'caseRef', 'note', 'exportedBy', 'exportedAt']),
  auditLog: spec('audit_log', ['seq', 'at', 'actor', 'action', 'target', 'reason', 'details', 'prevHash', 'hash']),
  biometricBlobs: spec('biometric_blobs', ['id', 'kind', 'ownerId', 'sizeBytes', 'createdAt']),
  templates: spec('templates', ['id', 'kind', 'ownerId', 'engineId', 'dims', 'sealed', 'createdAt', 'ownerGroup']),
  galleries: spec('galleries', ['id', 'name', 'accessClass', 'description', 'engineId', 'revision', 'createdBy', 'createdAt', 'retiredAt', 'retiredReason']),
  galleryItems: spec('gallery_items', ['id', 'galleryId', 'contentHash', 'sourceRef', 'subjectKey', 'status', 'faces', 'problem', 'createdAt', 'removedAt', 'removedReason']),
  searchAuthorities: spec(
    'search_authorities',
    ['id', 'caseRef', 'galleryId', 'offence', 'justification', 'requestedBy', 'requestedAt', 'authorisedBy', 'authorisedAt', 'authorityNote', 'usedBySearch'],
    ['caseRef', 'galleryId', 'offence', 'justification', 'requestedBy', 'requestedAt'],
  ),
  searches: spec(
    'searches',
    [
      'id', 'caseRef', 'offence', 'galleryName', 'galleryId', 'accessClass', 'searchedBy', 'createdAt', 'status', 'refusalCode', 'refusalReason', 'authorityId',
      'topK', 'facesInProbe', 'faceChosen', 'gallerySize', 'result', 'releasedAt', 'retainUntil', 'purgedAt',
    ],
    ['caseRef', 'searchedBy', 'createdAt'],
  ),
  searchReviews: spec('search_reviews', ['searchId', 'reviewer', 'note', 'at']),
} as const satisfies Record<string, TableSpec>;
