// Test fixture: a worker script that dies as it starts (as one whose engine cannot load would),
// for the pool's crash-loop test. Never used outside tests.

export {};
throw new Error('this worker cannot start');
