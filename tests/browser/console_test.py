#!/usr/bin/python3
"""The web console in real headless Chromium, driven by Selenium (Debian's
chromium, chromium-driver and python3-selenium), against a real loyaltyd
process with API keys on, its HTTP listener on loopback and a ledger in a
scratch directory:

  1. a marketing key signs in, loads a rule file with a mistake and sees the
     problem marked on its line, fixes it and loads it (the server's active
     version is then the one the page names);
  2. an auditor key signs in and downloads a period's export, which
     `loyaltyctl verify` accepts;
  3. the dashboard shows, for a scripted history (sales, a redemption, a
     goodwill adjustment, survey answers), the figures GetProgramMetrics
     gives over gRPC (`loyaltyctl metrics --json`);
  4. as tools/scripts/serve.sh leaves it (--auth=none, a demo sale, the key
     it prints): that key signs in and the dashboard shows the sale.

Run by CTest (tests/browser/CMakeLists.txt). Exits 77 (CTest: skipped), with
the reason, only when the browser cannot run here: a package missing; with
CI set, as .ci/run runs, that fails instead. Headless: no display is used.
Usage: console_test.py LOYALTYD LOYALTYCTL RULES_FILE
"""

import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

SKIP = 77
CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    HAVE_SELENIUM = True
except ImportError:
    HAVE_SELENIUM = False

LOYALTYD, LOYALTYCTL, RULES_FILE = (sys.argv[1:4] + ['', '', ''])[:3]
WAIT_SECONDS = 30  # for a page to show what it was asked; not a measure


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Loyaltyd:
    """A loyaltyd process on a scratch ledger: gRPC and HTTP on loopback."""

    def __init__(self, scratch, auth='keys'):
        self.grpc = f'127.0.0.1:{free_port()}'
        self.http = f'127.0.0.1:{free_port()}'
        key_file = os.path.join(scratch, 'ADMIN_KEY')
        self.log = open(os.path.join(scratch, 'loyaltyd.log'), 'w')
        self.process = subprocess.Popen(
            [LOYALTYD, '--data-dir', os.path.join(scratch, 'ledger'), '--listen', self.grpc,
             '--http-listen', self.http, '--rules', RULES_FILE, '--plaintext',
             f'--auth={auth}', '--admin-key-file', key_file],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 60
        while (auth == 'keys' and not os.path.exists(key_file)) or not self.ready():
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f'loyaltyd did not start; see {self.log.name}')
            time.sleep(0.1)
        self.admin = ''
        if auth == 'keys':
            with open(key_file) as f:
                self.admin = f.read().strip()

    def ready(self):
        try:
            urllib.request.urlopen(f'http://{self.http}/v1/openapi.json', timeout=2).read()
            return True
        except OSError:
            return False

    def call(self, method, path, body=None, key=None):
        request = urllib.request.Request(
            f'http://{self.http}{path}', method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={'Authorization': f'Bearer {key or self.admin}',
                     'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(f'{method} {path}: {error.code} {error.read()!r}') from None

    def ctl(self, *args):
        key = ['--api-key', self.admin] if self.admin else []
        return subprocess.run([LOYALTYCTL, '--server', self.grpc, *key, *args],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=120)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.log.close()


def script_history(server):
    """Members, sales, a burn, a goodwill adjustment and survey answers."""
    for member in ('ann', 'bob', 'cy'):
        server.call('POST', '/v1/members', {'requestId': f'enroll-{member}',
                                           'profile': {'memberId': member}})
    line = lambda sku, qty, price: {'sku': sku, 'quantity': qty, 'unitPriceMinor': price}
    sales = [('ann', [line('coffee', 2, 350), line('cake', 1, 1450)], 0),
             ('bob', [line('coffee', 1, 350)], 0),
             ('ann', [line('cake', 3, 1450)], 0),
             ('ann', [line('coffee', 4, 350)], 10),
             ('cy', [line('tea', 10, 990)], 0)]
    for n, (member, lines, redeem) in enumerate(sales):
        server.call('POST', '/v1/checkout:commit', {
            'requestId': f'sale-{n}',
            'purchase': {'memberId': member, 'orderId': f'order-{n}', 'currency': 'EUR',
                         'lines': lines, 'redeemPoints': redeem}})
    server.call('POST', '/v1/members/bob:adjust', {
        'requestId': 'goodwill-1', 'points': 50, 'reasonCode': 'LATE_DELIVERY',
        'note': 'parcel a week late'})
    for n, (kind, score) in enumerate([('SURVEY_KIND_NPS', 10), ('SURVEY_KIND_NPS', 9),
                                       ('SURVEY_KIND_NPS', 3), ('SURVEY_KIND_CSAT', 5),
                                       ('SURVEY_KIND_CSAT', 2), ('SURVEY_KIND_CES', 2),
                                       ('SURVEY_KIND_CES', 5)]):
        server.call('POST', '/v1/feedback', {'requestId': f'survey-{n}', 'feedback': {
            'memberId': 'ann', 'survey': kind, 'score': score}})


def count(value):
    return f'{int(value):,}'


def money(minor, currency):
    value = int(minor)
    sign = '-' if value < 0 else ''
    return f'{sign}{abs(value) // 100:,}.{abs(value) % 100:02d} {currency}'


def percent(bp):
    return f'{int(bp) / 100:.2f}%'


def centi(value):
    return f'{int(value) / 100:.2f}'


class ConsoleTest(unittest.TestCase):
    server = None
    scratch = None

    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.mkdtemp(prefix='console-test-')
        cls.downloads = os.path.join(cls.scratch, 'downloads')
        os.mkdir(cls.downloads)
        try:
            cls.server = Loyaltyd(cls.scratch)
            script_history(cls.server)
            cls.browser = webdriver.Chrome(service=Service(CHROMEDRIVER),
                                           options=browser_options(cls.scratch))
        except BaseException:
            cls.tearDownClass()  # unittest does not when setUpClass fails
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, 'browser', None):
            cls.browser.quit()
        if cls.server:
            cls.server.stop()
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def tearDown(self):
        # No script error and no blocked script or style (the page's
        # Content-Security-Policy) on any page the test saw; refusals the
        # test asked for are network entries, not these.
        errors = [entry['message'] for entry in self.browser.get_log('browser')
                  if entry['level'] == 'SEVERE' and entry['source'] != 'network']
        self.assertEqual(errors, [])

    def key(self, role):
        return self.server.call('POST', '/v1/apiKeys', {
            'requestId': f'key-{role}-{self.id()}', 'name': f'{role} in the browser test',
            'role': role})['apiKey']

    def wait(self, condition):
        return WebDriverWait(self.browser, WAIT_SECONDS).until(condition)

    def find(self, css):
        return self.wait(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def sign_in(self, key):
        self.browser.get(f'http://{self.server.http}/')
        self.browser.execute_script('sessionStorage.clear()')
        self.browser.get(f'http://{self.server.http}/')
        self.find('#api-key').send_keys(key)
        self.find('#sign-in-form button').click()
        self.find('#nav')

    def set_editor(self, text):
        self.browser.execute_script(
            "const e = document.getElementById('rules-yaml'); e.value = arguments[0];"
            "e.dispatchEvent(new Event('input'));", text)

    def test_marketing_loads_a_rule_file_after_fixing_the_marked_line(self):
        self.sign_in(self.key('ROLE_MARKETING'))
        self.assertEqual(self.browser.find_element(By.TAG_NAME, 'body').get_attribute('data-role'),
                         'marketing')
        # Marketing may not read metrics: no dashboard; it lands on Rules.
        self.assertFalse(self.browser.find_element(By.CSS_SELECTOR, 'a[href="#dashboard"]').is_displayed())
        self.find('#rules')
        with open(RULES_FILE) as f:
            good = f.read()
        lines = good.split('\n')
        # The earn section's rounding (rules/default.yaml): a word it does not know.
        at = next(i for i, l in enumerate(lines) if l == '  rounding: down')
        broken = list(lines)
        broken[at] = '  rounding: sideways'
        self.set_editor('\n'.join(broken))
        self.find('#rules-file-name').clear()
        self.find('#rules-file-name').send_keys('shop.yaml')
        self.find('#rules-load').click()
        marked = self.wait(ec.presence_of_element_located(
            (By.CSS_SELECTOR, f'#rules-gutter span.bad[data-line="{at + 1}"]')))
        self.assertIn('sideways', marked.get_attribute('title'))
        problem = self.find(f'#rules-problems li[data-line="{at + 1}"]')
        self.assertIn(f'line {at + 1}: earn.rounding', problem.text)
        self.assertEqual(len(self.browser.find_elements(By.CSS_SELECTOR, '#rules-gutter span.bad')), 1)

        # Fixed, and one point more per euro, so that it is a new version.
        fixed = list(lines)
        points = next(i for i, l in enumerate(lines) if l == '  points: 1')
        fixed[points] = '  points: 3'
        self.set_editor('\n'.join(fixed))
        self.find('#rules-validate').click()
        self.wait(lambda b: 'Valid' in b.find_element(By.ID, 'rules-status').text)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, '#rules-gutter span.bad'), [])
        self.find('#rules-load').click()
        self.wait(lambda b: 'Loaded version' in b.find_element(By.ID, 'rules-status').text)
        loaded = self.find('#rules-status').text.split('Loaded version ')[1].split(',')[0]
        self.assertEqual(self.server.call('GET', '/v1/rules')['activeVersion'], loaded)
        self.wait(lambda b: b.find_element(By.ID, 'rules-active').text == loaded)

    def test_auditor_downloads_an_export_that_loyaltyctl_verifies(self):
        self.sign_in(self.key('ROLE_AUDITOR'))
        self.browser.get(f'http://{self.server.http}/#audit')
        self.find('#export-form')
        self.assertFalse(self.browser.find_element(By.CSS_SELECTOR, 'a[href="#rules"]').is_displayed())
        self.find('#export-form button').click()
        self.wait(lambda b: 'entries exported' in b.find_element(By.ID, 'export-status').text)
        name = self.find('#export-link').get_attribute('download')
        path = os.path.join(self.downloads, name)
        self.wait(lambda b: os.path.exists(path) and os.path.getsize(path) > 0)
        verified = self.server.ctl('verify', path)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        with open(path) as f:
            entries = [json.loads(line) for line in f if line.strip()]
        self.assertGreaterEqual(len(entries), 13)  # 3 members, 5 sales, 1 adjustment, 7 answers
        self.find('#verify-run').click()
        self.wait(lambda b: b.find_element(By.ID, 'verify-status').text.startswith('OK'))

    def test_the_dashboard_shows_the_figures_of_get_program_metrics(self):
        self.sign_in(self.key('ROLE_AUDITOR'))
        self.browser.get(f'http://{self.server.http}/#dashboard')
        self.wait(lambda b: b.find_element(By.TAG_NAME, 'body').get_attribute('data-dashboard') == 'ready')
        first = self.find('#metrics-from').get_attribute('value')
        last = self.find('#metrics-to').get_attribute('value')
        answer = self.server.ctl('metrics', '--from', first, '--to', last, '--json')
        self.assertEqual(answer.returncode, 0, answer.stderr)
        metrics = json.loads(answer.stdout)
        row = next(r for r in metrics['rows'] if r['group'] == 'all')
        surveys = metrics['surveys']
        currency = metrics['currency']
        self.assertGreater(int(row['pointsIssued']), 0)
        self.assertGreater(int(row['pointsRedeemed']), 0)
        expected = {
            'pointsIssued': count(row['pointsIssued']),
            'pointsRedeemed': count(row['pointsRedeemed']),
            'pointsExpired': count(row['pointsExpired']),
            'redemptionRateBp': percent(row['redemptionRateBp']),
            'breakagePoints': count(row['breakagePoints']),
            'purchases': count(row['purchases']),
            'revenueMinor': money(row['revenueMinor'], currency),
            'activeMembers': count(row['activeMembers']),
            'repeatMembers': count(row['repeatMembers']),
            'repeatRateBp': percent(row['repeatRateBp']),
            'outstandingLiabilityMinor': money(metrics['outstandingLiabilityMinor'], currency),
            'outstandingPoints': count(metrics['outstandingPoints']),
            'members': count(metrics['members']),
            'churnRateBp': percent(metrics['churnRateBp']),
            'clvMinor': money(metrics['clvMinor'], currency),
            'nps': str(surveys['nps']),
            'csatBp': percent(surveys['csatBp']),
            'cesMeanCenti': centi(surveys['cesMeanCenti']),
        }
        shown = {e.get_attribute('data-figure'): e.text
                 for e in self.browser.find_elements(By.CSS_SELECTOR, '#figures dd[data-figure]')}
        for name, text in expected.items():
            self.assertEqual(shown.get(name), text, name)
        # This month's row of the chart's table, and the cohort of this month.
        month = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m')
        cells = [[td.text for td in tr.find_elements(By.TAG_NAME, 'td')]
                 for tr in self.browser.find_elements(By.CSS_SELECTOR, '#table-redemption tbody tr')]
        self.assertIn([month, count(row['pointsIssued']), count(row['pointsRedeemed']),
                       percent(row['redemptionRateBp'])], cells)
        cohort = next(c for c in metrics['cohorts'] if c['issueMonth'] == month)
        cells = [[td.text for td in tr.find_elements(By.TAG_NAME, 'td')]
                 for tr in self.browser.find_elements(By.CSS_SELECTOR, '#table-cohorts tbody tr')]
        self.assertIn([month, count(cohort['issued']), count(cohort['redeemed']),
                       count(cohort['expired']), count(cohort['outstanding'])], cells)


def browser_options(scratch):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ('--headless=new', '--no-sandbox', '--disable-gpu',
                     '--disable-dev-shm-usage', '--window-size=1280,1000',
                     f'--user-data-dir={os.path.join(scratch, "profile")}'):
        options.add_argument(argument)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    options.add_experimental_option('prefs', {
        'download.default_directory': os.path.join(scratch, 'downloads'),
        'download.prompt_for_download': False})
    return options


class ServeCommandTest(unittest.TestCase):
    """The serve command's newcomer: its key signs in, its sale is shown."""

    def test_the_key_serve_prints_signs_in_and_the_dashboard_shows_the_demo_sale(self):
        scratch = tempfile.mkdtemp(prefix='console-serve-')
        server = Loyaltyd(scratch, auth='none')
        browser = None
        try:
            # What tools/scripts/serve.sh does, with the same loyaltyctl verbs.
            for args in (('member', 'enroll', '--id', 'demo-member', '--request-id', 'demo-enroll'),
                         ('checkout', 'commit', '--member', 'demo-member', '--order', 'demo-order-1',
                          '--line', 'coffee:2:350:drinks', '--line', 'croissant:1:180:bakery',
                          '--request-id', 'demo-sale-1')):
                done = server.ctl(*args)
                self.assertEqual(done.returncode, 0, done.stderr)
            created = server.ctl('--json', 'key', 'create', '--role', 'admin', '--request-id',
                                 'demo-console-key')
            self.assertEqual(created.returncode, 0, created.stderr)
            key = json.loads(created.stdout)['apiKey']
            browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=browser_options(scratch))
            browser.get(f'http://{server.http}/')
            browser.find_element(By.ID, 'api-key').send_keys(key)
            browser.find_element(By.CSS_SELECTOR, '#sign-in-form button').click()
            WebDriverWait(browser, WAIT_SECONDS).until(
                lambda b: b.find_element(By.TAG_NAME, 'body').get_attribute('data-dashboard') == 'ready')
            figure = lambda name: browser.find_element(By.CSS_SELECTOR, f'dd[data-figure="{name}"]').text
            self.assertEqual(figure('purchases'), '1')
            self.assertEqual(figure('revenueMinor'), '8.80 EUR')
            self.assertEqual(figure('pointsIssued'), '8')
        finally:
            if browser:
                browser.quit()
            server.stop()
            shutil.rmtree(scratch, ignore_errors=True)


def missing():
    """What keeps the browser from running here, or ''."""
    absent = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if not HAVE_SELENIUM:
        absent.append('the selenium module for /usr/bin/python3')
    if absent:
        return ('SKIPPED: the browser test cannot run: missing ' + ', '.join(absent) +
                ' (Debian: chromium chromium-driver python3-selenium; '
                'tools/scripts/install-deps.sh installs them)')
    return ''


if __name__ == '__main__':
    reason = missing()
    if reason and os.environ.get('CI'):
        # CI installs the packages (tools/scripts/install-deps.sh): a
        # missing one there is a failure, not a reason to skip.
        print(reason.replace('SKIPPED', 'FAILED (CI is set)'))
        sys.exit(1)
    if reason:
        print(reason)
        sys.exit(SKIP)
    result = unittest.main(argv=[sys.argv[0], '-v'], exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
