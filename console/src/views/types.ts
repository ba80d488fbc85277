/** Shapes of the API's responses (see /api/docs). */
export interface Deployment {
  id: string;
  name: string;
  purpose: string;
  useCase: string;
  locations: Array<{ name: string; reason: string }>;
  cameras: string[];
  startsAt: string;
  endsAt: string;
  threshold: number;
  dpiaRef: string;
  policyRefs: string[];
  state: 'DRAFT' | 'AUTHORISED' | 'LIVE' | 'CLOSED' | 'CANCELLED';
  createdBy: string;
  requestedBy: string | null;
  authorisedBy: string | null;
  authorityNote: string | null;
  publicNoticeAt: string | null;
  liveAt: string | null;
  floor: number | null;
  floorSource: string | null;
  closedAt: string | null;
  closeReason: string | null;
  watchlistFrozenAt: string | null;
  watchlistDestroyedAt: string | null;
}

export interface Entry {
  id: string;
  subjectRef: string;
  category: string;
  reason: string | null;
  grounds: string | null;
  legalBasis: string | null;
  imageSource: string | null;
  captureDate: string | null;
  under18: boolean | null;
  quality: Record<string, number> | null;
  enrolledBy: string;
  reviewedBy: string | null;
  destroyedAt: string | null;
}

export interface Alert {
  id: string;
  deploymentId: string;
  camera: string;
  createdAt: string;
  priority: 'HIGH' | 'NORMAL';
  score: number;
  threshold: number;
  subjectRef: string;
  category: string;
  reason?: string | null;
  legalBasis?: string | null;
  videoTimeSec: number;
  status: 'PENDING' | 'DISMISSED' | 'ENGAGED' | 'CLOSED';
  operatorDecision: 'DISMISS' | 'ENGAGE' | null;
  operatorNote: string | null;
  outcome: string | null;
  outcomeNote: string | null;
}

export interface CameraCounters {
  framesDecoded?: number;
  framesAnalysed?: number;
  framesDropped?: number;
  facesDetected?: number;
  tracks?: number;
  alerts?: number;
}

export interface LiveStatus {
  running: boolean;
  startedAt: string | null;
  cameras: Record<string, CameraCounters>;
  pending: number | null;
}
