"""Drives the dashboard in headless Chromium (Debian's chromium and
chromium-driver, through Selenium) against an API server a Swift test runs.

The Swift side plays the operator. When this script needs the operator to
move (a weight step), it prints `@serin <request>` and waits for a line on
stdin; the last line it prints is `@serin report <json>` with the figures.
Any failed check raises, so the exit status is the verdict.
"""
import argparse
import json
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def ask(request):
    """Asks the Swift side to act, and waits until it has."""
    print('@serin ' + request, flush=True)
    answer = sys.stdin.readline().strip()
    if answer != 'ok':
        raise AssertionError(f'the test answered {answer!r} to {request!r}')


def page_arguments():
    """--url and --token, which every script of the dashboard's tests takes."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--url', required=True)
    parser.add_argument('--token', required=True)
    return parser


def step(text):
    print('step: ' + text, flush=True)


def main():
    parser = page_arguments()
    parser.add_argument('--screenshots', default='')
    parser.add_argument('--chromium', default='/usr/bin/chromium')
    parser.add_argument('--chromedriver', default='/usr/bin/chromedriver')
    args = parser.parse_args()

    driver = start_driver(args.chromium, args.chromedriver)
    try:
        run(driver, args)
    except Exception:
        for entry in driver.get_log('browser'):
            print('browser: ' + entry.get('message', ''), flush=True)
        raise
    finally:
        driver.quit()


def start_driver(chromium='/usr/bin/chromium', chromedriver='/usr/bin/chromedriver'):
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
                 '--window-size=1400,1000', '--no-first-run', '--disable-extensions']:
        options.add_argument(flag)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    # The driver's path is given, so Selenium Manager looks nothing up online;
    # Selenium picks a free port for it.
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def wait(driver, condition, what, seconds=60):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.05,
                             ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: condition(d))
    except Exception as error:
        raise AssertionError(f'timed out waiting for {what}') from error


def text_of(driver, css):
    """The text of the first match, read in one step (the page redraws under us)."""
    return driver.execute_script('const e = document.querySelector(arguments[0]); return e ? e.textContent : null', css)


def texts(driver, css):
    return driver.execute_script('return Array.from(document.querySelectorAll(arguments[0]), (e) => e.textContent)', css)


def attr(driver, css, name):
    return driver.execute_script('const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null',
                                 css, name)


def attrs(driver, css, name):
    return driver.execute_script('return Array.from(document.querySelectorAll(arguments[0]), (e) => e.getAttribute(arguments[1]))',
                                 css, name)


def exists(driver, css):
    return driver.execute_script('return document.querySelector(arguments[0]) !== null', css)


def click(driver, css):
    """Clicks like a person (a real mouse event) once the element is there, again if the page redrew it meanwhile."""
    wait(driver, lambda d: exists(d, css), css)
    for _ in range(20):
        try:
            driver.find_element(By.CSS_SELECTOR, css).click()
            return
        except StaleElementReferenceException:
            time.sleep(0.05)
    raise AssertionError(f'cannot click {css}')


def shoot(driver, args, name):
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
        driver.save_screenshot(os.path.join(args.screenshots, name))


def run(driver, args):
    report = {}
    step('the overview lists the running release')
    driver.get(args.url + '/')
    wait(driver, lambda d: text_of(d, 'tr[data-rollout="default/web"] .weight-value') == '40%', 'web at 40% in the overview')
    assert text_of(driver, 'tr[data-rollout="default/web"] .phase') == 'Progressing'
    assert text_of(driver, 'tr[data-rollout="default/web"] .step') == '3/7'
    last_check = texts(driver, 'tr[data-rollout="default/web"] .last-check div')
    assert last_check[:2] == ['request-success-rate 99.7 pass', 'request-duration 250 pass'], last_check
    assert attr(driver, 'tr[data-rollout="default/search"]', 'class') == 'bad', 'a failed rollout stands out'
    assert attr(driver, 'tr[data-rollout="default/web"]', 'class') == 'warn', 'a failed check below the threshold shows'
    assert attr(driver, 'tr[data-source="platform"]', 'class') == 'bad', 'a refused source stands out'
    assert attr(driver, 'tr[data-source="deploy"]', 'class') is None
    wait(driver, lambda d: attr(d, '#live', 'data-state') == 'live', 'the event stream')

    timing = driver.execute_script('''
        const paint = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
        const data = performance.getEntriesByName('serin-first-data')[0];
        const nav = performance.getEntriesByType('navigation')[0];
        const files = performance.getEntriesByType('resource').filter((e) => e.name.includes('/dashboard/'))
            .map((e) => ({ name: e.name.split('/').pop(), bytes: e.decodedBodySize }));
        return { fcp: paint ? paint.startTime : null, firstData: data ? data.startTime : null,
                 domContentLoaded: nav.domContentLoadedEventEnd, html: nav.decodedBodySize, files };''')
    report['timing'] = timing
    report['pageBytes'] = timing['html'] + sum(f['bytes'] for f in timing['files'])

    step('a commit message holding <script> is shown as text')
    subject = text_of(driver, 'tr[data-source="hostile"] .commit-subject')
    assert subject == HOSTILE, subject
    assert driver.execute_script('return window.__pwned === undefined'), 'the hostile commit message ran'
    scripts = driver.execute_script('return Array.from(document.scripts).map((s) => s.src)')
    assert len(scripts) == 1 and scripts[0].endswith('/dashboard/serin.js'), scripts

    step('the filter narrows the lists')
    driver.execute_script('window.__sameDocument = true')
    search = driver.find_element(By.ID, 'filter')
    search.send_keys('shop')
    wait(driver, lambda d: attrs(d, 'tr[data-rollout]', 'data-rollout') == ['shop/checkout'], 'one rollout after filtering')
    driver.execute_script('''const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input'));''')
    wait(driver, lambda d: len(attrs(d, 'tr[data-rollout]', 'data-rollout')) == 4, 'every rollout again')
    driver.set_window_size(1400, 1120)
    shoot(driver, args, 'dashboard-overview.png')
    driver.set_window_size(1400, 1000)

    step('during a release the weight shown changes without a reload')
    ask('weight 60')
    wait(driver, lambda d: text_of(d, 'tr[data-rollout="default/web"] .weight-value') == '60%', 'web at 60% without a reload')
    assert text_of(driver, 'tr[data-rollout="default/web"] .step') == '5/7'
    assert driver.execute_script('return window.__sameDocument === true'), 'the page was reloaded'

    step('the detail page: plan, weight chart, metric charts with the threshold, events, history')
    click(driver, 'tr[data-rollout="default/web"] a')
    wait(driver, lambda d: exists(d, '#plan li.current'), 'the plan')
    assert driver.execute_script('return window.__sameDocument === true')
    assert attr(driver, '#plan li.current', 'data-step') == '5'
    assert text_of(driver, '#plan li.current').startswith('▶'), text_of(driver, '#plan li.current')
    done = texts(driver, '#plan li.done')
    assert len(done) == 4 and all(text.startswith('✓') for text in done), done
    metric = '.metric[data-metric="request-success-rate"]'
    wait(driver, lambda d: exists(d, metric + ' line[data-threshold="min"]'), 'the threshold line')
    verdicts = attrs(driver, metric + ' circle', 'data-verdict')
    assert 'pass' in verdicts and 'fail' in verdicts, verdicts
    assert exists(driver, '.metric[data-metric="request-duration"] line[data-threshold="max"]')
    hostile_metric = text_of(driver, '.metric[data-metric^="<img"] h3')
    assert hostile_metric.startswith('<img src=x onerror='), hostile_metric
    assert text_of(driver, '#failed-checks') == '1 / 3'
    wait(driver, lambda d: len(texts(d, '#history tbody tr')) == 5, 'the release history')
    assert 'Ada Lovelace' in text_of(driver, '#events tbody')
    ask('weight 80')
    wait(driver, lambda d: exists(d, '#weight-chart circle[data-weight="80"]'), 'the weight chart at 80%')
    assert exists(driver, '#weight-chart circle[data-weight="60"]')
    wait(driver, lambda d: text_of(d, '#rollout-step') == '6/7', 'step 6/7')
    # The rollout's document holds only the first four events: these came through the event stream.
    wait(driver, lambda d: 'analysing at 80% (0/1)' in (text_of(d, '#events tbody') or ''), 'the streamed event')
    driver.set_window_size(1400, 1900)
    shoot(driver, args, 'dashboard-rollout.png')
    driver.set_window_size(1400, 1000)

    step('abort without the token is refused with the reason')
    assert driver.execute_script("return sessionStorage.getItem('serin.token')") is None
    click(driver, 'button[data-command="abort"]')
    wait(driver, lambda d: '401' in (text_of(d, '#action-result') or ''), 'the refusal')
    refusal = text_of(driver, '#action-result')
    assert 'missing Authorization: Bearer token' in refusal, refusal
    assert attr(driver, '#action-result', 'class') == 'result error'
    assert 'aborted' not in text_of(driver, '#rollout-message')

    step('with the token: a command the phase does not allow shows the 409 reason')
    token = driver.find_element(By.ID, 'token')
    token.send_keys(args.token)
    click(driver, '#token-form button')
    wait(driver, lambda d: attr(d, '#token-state', 'hidden') is None, 'the token kept')
    assert driver.execute_script("return sessionStorage.getItem('serin.token')") == args.token
    assert driver.execute_script('return document.cookie') == ''
    assert args.token not in driver.current_url
    click(driver, 'button[data-command="retry"]')
    wait(driver, lambda d: '409' in (text_of(d, '#action-result') or ''), 'the 409')
    assert 'cannot retry default/web: it is Progressing' in text_of(driver, '#action-result'), text_of(driver, '#action-result')

    step('abort with the token rolls the release back and shows the new phase')
    click(driver, 'button[data-command="abort"]')
    wait(driver, lambda d: text_of(d, '.summary .phase') == 'Failed', 'the Failed phase')
    assert 'abort default/web: requested' in text_of(driver, '#action-result'), text_of(driver, '#action-result')
    assert 'aborted by dashboard' in text_of(driver, '#rollout-message')
    wait(driver, lambda d: 'Failed' in (text_of(d, '#events tbody') or ''), 'the Failed event')
    assert driver.execute_script('return window.__sameDocument === true')

    step('the source detail shows the refused commit with file:line:column')
    driver.get(args.url + '/#/sources/platform')
    wait(driver, lambda d: exists(d, '#errors code.where'), 'the errors')
    assert text_of(driver, '#errors code.where') == 'search/canary.yaml:12:19'
    assert 'ValidationFailed' in text_of(driver, '#conditions')

    errors = [e for e in driver.get_log('browser') if e.get('level') == 'SEVERE' and 'favicon' not in e.get('message', '')]
    # The refused commands answer 401 and 409 on purpose; anything else is a fault of the page.
    unexpected = [e for e in errors if ' 401 ' not in e['message'] and ' 409 ' not in e['message']]
    assert not unexpected, unexpected
    print('@serin report ' + json.dumps(report), flush=True)


if __name__ == '__main__':
    main()
