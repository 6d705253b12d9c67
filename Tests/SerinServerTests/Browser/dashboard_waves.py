"""A source staged in waves: the overview's wave bar and the source's page
show each wave's state and clusters; `promote to the next wave` is refused
without the token with the reason, then promotes with it, and every wave
shows the revision released."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dashboard_browser import attr, attrs, click, page_arguments, start_driver, step, text_of, texts, wait  # noqa: E402


def wave_states(driver, scope):
    return attrs(driver, scope + ' .waves .wave', 'data-state')


def main():
    args = page_arguments().parse_args()
    driver = start_driver()
    try:
        step('the overview: a wave bar for the staged source, wave 2 of 2 paused')
        driver.get(args.url + '/')
        row = 'tr[data-source="apps"]'
        wait(driver, lambda d: wave_states(d, row) == ['released', 'paused'], 'the wave bar of apps')
        assert attr(driver, row + ' .waves', 'data-wave') == '2'
        assert attr(driver, row + ' .waves', 'data-hold') == 'paused'
        assert texts(driver, row + ' .wave-cluster') == ['staging', 'eu', 'us'], texts(driver, row + ' .wave-cluster')
        assert 'waiting for serin promote' in (attr(driver, row + ' .waves', 'title') or '')
        # A source without waves has no bar.
        assert wave_states(driver, 'tr[data-source="platform"]') == []

        step('the source page: waves, the hold, each cluster with its wave and revision')
        click(driver, row + ' a')
        wait(driver, lambda d: text_of(d, '#wave-hold') is not None, 'the source page')
        assert 'waiting for serin promote apps' in text_of(driver, '#wave-hold')
        assert attrs(driver, 'tr[data-cluster]', 'data-cluster') == ['staging', 'eu', 'us']
        waves = texts(driver, 'tr[data-cluster] td:nth-child(2)')
        assert waves == ['1', '2', '2'], waves

        step('promote without the token: refused with the reason, nothing moves')
        click(driver, '#promote-wave')
        wait(driver, lambda d: 'refused (401)' in (text_of(d, '#wave-result') or ''), 'the refusal')
        assert 'missing Authorization: Bearer token' in text_of(driver, '#wave-result')
        assert wave_states(driver, '') == ['released', 'paused']

        step('with the token: promoted, every wave released')
        driver.find_element('id', 'token').send_keys(args.token)
        click(driver, '#token-form button')
        wait(driver, lambda d: attr(d, '#token-state', 'hidden') is None, 'the token kept')
        click(driver, '#promote-wave')
        wait(driver, lambda d: wave_states(d, '') == ['released', 'released'], 'every wave released')
        wait(driver, lambda d: 'released' in (text_of(d, '#wave-result') or ''), 'the accepted message')
        assert 'ok' in (attr(driver, '#wave-result', 'class') or '')
        assert text_of(driver, '#wave-hold') == 'not held'
        assert attrs(driver, '#promote-wave', 'id') == [], 'the button goes with the hold'
        print('@serin report {}', flush=True)
    finally:
        driver.quit()


if __name__ == '__main__':
    main()
