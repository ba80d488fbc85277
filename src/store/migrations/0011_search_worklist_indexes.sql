-- Indexes for the console's search worklists (src/store/repositories/search.ts): a person's own searches and
-- authority requests, newest first; withheld RESTRICTED results awaiting review; requests awaiting authority.
create index searches_searcher on searches(searched_by, created_at desc);
create index searches_withheld on searches(created_at desc) where status = 'WITHHELD' and purged_at is null;
create index search_authorities_requester on search_authorities(requested_by, requested_at desc);
create index search_authorities_pending on search_authorities(requested_at desc) where authorised_by is null;
