-- The data key's check value (issue 14, store files): recorded at the store's first start with the key then in
-- use (an HMAC of a fixed label under a sub-key: it reveals nothing about the key). A later start with another
-- key is refused (KEY_WRONG) instead of sealing new data under a key the old data does not open with.
-- `demo` says the store was created in demo mode (a throwaway key written under <home>/keys): demo mode is
-- refused on any other store (DEMO_REAL_STORE). One row.
create table store_key_check (
  id integer primary key check (id = 1),
  key_check text not null,
  demo boolean not null,
  created_at timestamptz not null
);
