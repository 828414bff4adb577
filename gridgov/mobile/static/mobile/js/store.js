// IndexedDB, the phone's durable storage: the outbox (records with their photo Blobs) and a
// key-value store (token, cached read-only data, category usage, the running patrol).
// Everything survives a reload, a closed tab and a phone restart.

const DB_NAME = "gridgov-m";
const DB_VERSION = 1;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

let opening = null;

export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "id" });
        if (!db.objectStoreNames.contains("kv")) db.createObjectStore("kv");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

async function run(storeName, mode, action) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    let result;
    promised(action(tx.objectStore(storeName))).then((value) => {
      result = value;
    }, reject);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

// The outbox, with the interface SyncEngine expects.
export const outboxStore = {
  all: () => run("outbox", "readonly", (store) => store.getAll()),
  get: (id) => run("outbox", "readonly", (store) => store.get(id)),
  put: (record) => run("outbox", "readwrite", (store) => store.put(record)),
  delete: (id) => run("outbox", "readwrite", (store) => store.delete(id)),
};

export const kv = {
  get: (key) => run("kv", "readonly", (store) => store.get(key)),
  set: (key, value) => run("kv", "readwrite", (store) => store.put(value, key)),
  delete: (key) => run("kv", "readwrite", (store) => store.delete(key)),
  keys: () => run("kv", "readonly", (store) => store.getAllKeys()),
};
