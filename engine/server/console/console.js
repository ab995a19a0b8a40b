// The console's frame: signing in with an API key (checked by
// GET /console/session, which names the key's role and the RPCs the role
// may call), the pages by the address's #fragment, and what each role
// sees: a page or panel marked data-needs="Rpc ..." shows only when the
// role may call one of those RPCs.
'use strict';

const Session = (() => {
  let session = null;
  return {
    set: (value) => { session = value; },
    role: () => (session ? session.role.replace(/^ROLE_/, '').toLowerCase() : ''),
    may: (rpc) => Boolean(session && session.rpcs.includes(rpc)),
    defaultReasons: () => (session ? session.defaultAdjustmentReasons || [] : []),
    mayAny: (rpcs) => rpcs.split(' ').some((rpc) => Boolean(session && session.rpcs.includes(rpc))),
  };
})();

(() => {
  const $ = (id) => document.getElementById(id);
  const pages = {dashboard: Dashboard, rules: Rules, members: Members, partners: Partners, audit: Audit};

  function allowedPages() {
    return Array.from(document.querySelectorAll('#nav a'))
      .filter((a) => Session.mayAny(a.dataset.needs)).map((a) => a.hash.slice(1));
  }

  function applyRole() {
    for (const node of document.querySelectorAll('[data-needs]')) {
      node.hidden = !Session.mayAny(node.dataset.needs);
    }
  }

  async function showPage() {
    const allowed = allowedPages();
    let name = location.hash.slice(1);
    if (!allowed.includes(name)) name = allowed[0] || '';
    for (const section of document.querySelectorAll('.page')) section.hidden = section.id !== name;
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.hash === `#${name}`) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (!name) return;
    document.body.dataset.page = name;
    try {
      await pages[name].show();
    } catch (e) {
      if (e.status === 401) signOut();
    }
  }

  async function signIn(key) {
    Api.setKey(key);
    try {
      const session = await Api.get('/console/session');
      Session.set(session);
    } catch (e) {
      Api.clearKey();
      Ui.failure($('sign-in-error'), e);
      return;
    }
    Ui.show($('sign-in-error'), '');
    $('sign-in').hidden = true;
    $('nav').hidden = false;
    $('sign-out').hidden = false;
    $('who').textContent = `Signed in as ${Session.role()}`;
    document.body.dataset.role = Session.role();
    applyRole();
    await showPage();
    $('main').focus({preventScroll: true});
  }

  function signOut() {
    Api.clearKey();
    Session.set(null);
    location.hash = '';
    location.reload();
  }

  document.addEventListener('DOMContentLoaded', () => {
    Object.values(pages).forEach((page) => page.init());
    $('sign-in-form').addEventListener('submit', (event) => {
      event.preventDefault();
      signIn($('api-key').value.trim());
      $('api-key').value = '';
    });
    $('sign-out').addEventListener('click', signOut);
    window.addEventListener('hashchange', () => { if (Api.key()) showPage(); });
    if (Api.key()) signIn(Api.key());
    else $('api-key').focus();
  });
})();
