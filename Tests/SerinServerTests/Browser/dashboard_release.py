"""The dashboard against the real operator (`serin run` on the local
platform, a real release of the quickstart), in headless Chromium.

Same protocol as dashboard_browser.py: `@serin release` asks the Swift test
to commit a release, `@serin restart` to kill the operator and start it
again; the last line is `@serin report <json>`.
"""
import json
import os
import sys

from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dashboard_browser import ask, attr, click, exists, page_arguments, shoot, start_driver, step, text_of, wait  # noqa: E402

HOSTILE = 'Release <script>window.__pwned = 1</script>'


def main():
    parser = page_arguments()
    parser.add_argument('--screenshots', default='')
    args = parser.parse_args()
    driver = start_driver()
    try:
        run(driver, args)
    except Exception:
        for entry in driver.get_log('browser'):
            print('browser: ' + entry.get('message', ''), flush=True)
        raise
    finally:
        driver.quit()


def weight(driver):
    return text_of(driver, 'tr[data-rollout="default/web"] .weight-value')


def run(driver, args):
    report = {}
    step('the overview lists the rollout before the release')
    driver.get(args.url + '/')
    wait(driver, lambda d: text_of(d, 'tr[data-rollout="default/web"] .phase') in ('Initialized', 'Succeeded'), 'web, released', 120)
    wait(driver, lambda d: attr(d, '#live', 'data-state') == 'live', 'the event stream')
    driver.execute_script('window.__sameDocument = true')

    step('a release: the overview shows it running, and its weight moves without a reload')
    ask('release')
    wait(driver, lambda d: text_of(d, 'tr[data-rollout="default/web"] .phase') == 'Progressing', 'Progressing', 120)
    wait(driver, lambda d: weight(d) not in (None, '0%'), 'a canary weight', 120)
    first = weight(driver)
    wait(driver, lambda d: weight(d) not in (None, '0%', first), f'the weight to move on from {first}', 120)
    report['weights'] = [first, weight(driver)]
    assert driver.execute_script('return window.__sameDocument === true'), 'the page was reloaded'
    wait(driver, lambda d: text_of(d, 'tr[data-source="quickstart"] .commit-subject') == HOSTILE, 'the commit message as text', 60)
    assert driver.execute_script('return window.__pwned === undefined')

    step('the detail page during the release: plan, weight chart, metric thresholds')
    click(driver, 'tr[data-rollout="default/web"] a')
    wait(driver, lambda d: exists(d, '#plan li.current'), 'the plan')
    wait(driver, lambda d: exists(d, '.metric line[data-threshold]'), 'a metric chart with its threshold', 60)
    assert exists(driver, '#weight-chart circle')
    assert 'Ada Lovelace' in (text_of(driver, '#events tbody') or '')
    driver.set_window_size(1400, 1900)
    shoot(driver, args, 'dashboard-release.png')
    driver.set_window_size(1400, 1000)

    step('abort with the token rolls the release back')
    driver.find_element(By.ID, 'token').send_keys(args.token)
    click(driver, '#token-form button')
    wait(driver, lambda d: attr(d, '#token-state', 'hidden') is None, 'the token kept')
    click(driver, 'button[data-command="abort"]')
    wait(driver, lambda d: text_of(d, '.summary .phase') == 'Failed', 'the Failed phase', 120)
    result = text_of(driver, '#action-result')
    assert 'refused' not in result, result
    # Its event, through the stream (an operator killed before the rollback's
    # actions ran would never write it).
    wait(driver, lambda d: 'aborted by dashboard' in (text_of(d, '#events tbody') or ''), 'the rollback event', 120)

    step('the operator restarts: the page reconnects and follows again')
    connections = int(attr(driver, '#live', 'data-connections'))
    ask('restart')
    wait(driver, lambda d: int(attr(d, '#live', 'data-connections') or 0) > connections and attr(d, '#live', 'data-state') == 'live',
         'the page to reconnect', 120)
    # The restarted operator lists its rollouts a moment after it serves the
    # stream: until then the page says there is no such rollout (no buttons).
    wait(driver, lambda d: exists(d, 'button[data-command="retry"]'), 'the rollout back, with its buttons', 120)
    click(driver, 'button[data-command="retry"]')
    wait(driver, lambda d: text_of(d, '.summary .phase') in ('Progressing', 'Waiting'), 'the retried release', 120)
    assert driver.execute_script('return window.__sameDocument === true'), 'the page was reloaded'
    print('@serin report ' + json.dumps(report), flush=True)


if __name__ == '__main__':
    main()
