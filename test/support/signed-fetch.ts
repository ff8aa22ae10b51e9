// The signer lives with the demo, which calls deployed APIs too; tests keep importing it from here.
export * from '../../scripts/demo/signed-fetch.js';
