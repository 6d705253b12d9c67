"""With `api.dashboardAuth: token`: the page shows nothing of the API and
says why until the token is entered, then reads and follows as usual."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dashboard_browser import attr, attrs, click, page_arguments, start_driver, step, text_of, wait  # noqa: E402


def main():
    args = page_arguments().parse_args()
    driver = start_driver()
    try:
        step('without the token the page reads nothing and says why')
        driver.get(args.url + '/')
        wait(driver, lambda d: attr(d, '#banner', 'hidden') is None, 'the banner')
        banner = text_of(driver, '#banner')
        assert 'Reading needs the API token' in banner and 'missing Authorization: Bearer token' in banner, banner
        assert attrs(driver, 'tr[data-rollout]', 'data-rollout') == []
        assert attr(driver, '#live', 'data-state') != 'live'

        step('with the token it reads and follows')
        driver.find_element('id', 'token').send_keys(args.token)
        click(driver, '#token-form button')
        wait(driver, lambda d: 'default/web' in attrs(d, 'tr[data-rollout]', 'data-rollout'), 'the rollouts')
        wait(driver, lambda d: attr(d, '#banner', 'hidden') is not None, 'the banner gone')
        wait(driver, lambda d: attr(d, '#live', 'data-state') == 'live', 'the event stream, with the token')
        print('@serin report {}', flush=True)
    finally:
        driver.quit()


if __name__ == '__main__':
    main()
